# Use case 7, Amazon EFS: NFS (2049) into the mount target's group from the clients' group;
# the client instance also takes SSH from a network. The mount target is stood in for by an
# interface attached to the instance (aws_network_interface_attachment) in a subnet next
# to it that gives interfaces IPv6 addresses.
# Change (stage 1): the SSH source narrows, and a second mount-target interface appears.

resource "aws_vpc" "efs" {
  cidr_block                       = "10.7.0.0/16"
  assign_generated_ipv6_cidr_block = true
}

resource "aws_subnet" "clients" {
  vpc_id            = aws_vpc.efs.id
  cidr_block        = "10.7.1.0/24"
  availability_zone = "${var.region}a"
}

# The mount targets sit in a dual-stack subnet that hands out IPv6 addresses.
resource "aws_subnet" "v6only" {
  vpc_id                                         = aws_vpc.efs.id
  cidr_block                                     = "10.7.2.0/24"
  ipv6_cidr_block                                = cidrsubnet(aws_vpc.efs.ipv6_cidr_block, 8, 7)
  assign_ipv6_address_on_creation                = true
  enable_resource_name_dns_aaaa_record_on_launch = true
  availability_zone                              = "${var.region}a"
}

# An IPv6-only subnet (Ipv6Native: no IPv4 block); its tag changes at stage 1.
resource "aws_subnet" "native" {
  vpc_id                                         = aws_vpc.efs.id
  ipv6_native                                    = true
  ipv6_cidr_block                                = cidrsubnet(aws_vpc.efs.ipv6_cidr_block, 8, 8)
  assign_ipv6_address_on_creation                = true
  enable_resource_name_dns_aaaa_record_on_launch = true
  availability_zone                              = "${var.region}a"
  tags = {
    Stage = tostring(var.stage)
  }
}

resource "aws_security_group" "efs_client" {
  name        = "efs-client"
  description = "Mounts EFS"
  vpc_id      = aws_vpc.efs.id
  ingress {
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = [var.stage == 0 ? "192.0.2.0/24" : "192.0.2.128/25"]
  }
}

resource "aws_security_group" "mount_target" {
  name        = "efs-mount-target"
  description = "EFS mount targets"
  vpc_id      = aws_vpc.efs.id
  ingress {
    protocol        = "tcp"
    from_port       = 2049
    to_port         = 2049
    security_groups = [aws_security_group.efs_client.id]
  }
}

resource "aws_instance" "client" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.small"
  subnet_id              = aws_subnet.clients.id
  vpc_security_group_ids = [aws_security_group.efs_client.id]
  tags                   = { Name = "efs-client" }
}

resource "aws_network_interface" "mount" {
  count              = 1 + var.stage
  subnet_id          = aws_subnet.v6only.id
  security_groups    = [aws_security_group.mount_target.id]
  ipv6_address_count = 1
  description        = "mount target ${count.index}"
}

resource "aws_network_interface_attachment" "mount" {
  count                = 1 + var.stage
  instance_id          = aws_instance.client.id
  network_interface_id = aws_network_interface.mount[count.index].id
  device_index         = 1 + count.index
}

data "aws_network_interfaces" "mounts" {
  filter {
    name   = "attachment.instance-id"
    values = [aws_instance.client.id]
  }
  filter {
    name   = "group-id"
    values = [aws_security_group.mount_target.id]
  }
  depends_on = [aws_network_interface_attachment.mount]
  lifecycle {
    postcondition {
      condition     = length(self.ids) == 1 + var.stage
      error_message = "the mount interfaces are not attached to the client"
    }
  }
}
