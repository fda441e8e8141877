# Use case 5, ping: ICMP echo request (type 8, any code) from an IPv4 network and ICMPv6
# echo request (type 128, code 0) from an IPv6 network; the VPC's IPv6 block is added after
# it is created (aws_vpc_ipv6_cidr_block_association). Two groups reference each other, so
# deleting them needs revoke_rules_on_delete.
# Change (stage 1): ping is allowed from the monitoring group instead of the IPv4 network.

resource "aws_vpc" "ping" {
  cidr_block = "10.5.0.0/16"
  # The provider reads the block that aws_vpc_ipv6_cidr_block_association adds back into
  # the VPC's own attributes (assign_generated_ipv6_cidr_block = true for an Amazon pool),
  # as it does against EC2; this is the usual companion of that resource.
  lifecycle {
    ignore_changes = [assign_generated_ipv6_cidr_block, ipv6_cidr_block]
  }
}

resource "aws_vpc_ipv6_cidr_block_association" "v6" {
  vpc_id                           = aws_vpc.ping.id
  assign_generated_ipv6_cidr_block = true
}

# The main route table, taken over by Terraform (it keeps only the local routes).
resource "aws_default_route_table" "main" {
  default_route_table_id = aws_vpc.ping.default_route_table_id
  tags                   = { Name = "ping-main" }
}

resource "aws_subnet" "hosts" {
  vpc_id            = aws_vpc.ping.id
  cidr_block        = "10.5.1.0/24"
  ipv6_cidr_block   = cidrsubnet(aws_vpc_ipv6_cidr_block_association.v6.ipv6_cidr_block, 8, 0)
  availability_zone = "${var.region}b"
}

resource "aws_security_group" "monitor" {
  name                   = "monitor"
  description            = "Monitoring"
  vpc_id                 = aws_vpc.ping.id
  revoke_rules_on_delete = true
}

resource "aws_security_group" "pingable" {
  name                   = "pingable"
  description            = "Answers ping"
  vpc_id                 = aws_vpc.ping.id
  revoke_rules_on_delete = true

  ingress {
    description     = "ping"
    protocol        = "icmp"
    from_port       = 8
    to_port         = -1
    cidr_blocks     = var.stage == 0 ? ["198.51.100.0/24"] : []
    security_groups = var.stage == 0 ? [] : [aws_security_group.monitor.id]
  }
  ingress {
    description      = "ping6"
    protocol         = "icmpv6"
    from_port        = 128
    to_port          = 0
    ipv6_cidr_blocks = ["2001:db8:5::/48"]
  }
}

resource "aws_security_group_rule" "monitor_back" {
  type                     = "ingress"
  security_group_id        = aws_security_group.monitor.id
  protocol                 = "icmp"
  from_port                = 0
  to_port                  = -1
  source_security_group_id = aws_security_group.pingable.id
}

resource "aws_instance" "host" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.nano"
  subnet_id              = aws_subnet.hosts.id
  vpc_security_group_ids = var.stage == 0 ? [aws_security_group.pingable.id] : [aws_security_group.pingable.id, aws_security_group.monitor.id]
  ipv6_address_count     = 1
  tags                   = { Name = "host" }
}

data "aws_instance" "host" {
  instance_id = aws_instance.host.id
  lifecycle {
    postcondition {
      condition     = length(self.vpc_security_group_ids) == var.stage + 1 && self.subnet_id == aws_subnet.hosts.id
      error_message = "the instance's groups or subnet are wrong"
    }
  }
}
