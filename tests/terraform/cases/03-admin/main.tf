# Use case 3, connecting from your computer: SSH and RDP from one IPv4 address and an IPv6
# range, in the default VPC (adopted with aws_default_vpc / aws_default_subnet), with the
# older aws_security_group_rule resource.
# Change (stage 1): SSH also from a second network, and the RDP rule's description changes.

data "aws_caller_identity" "me" {}

data "aws_availability_zones" "zones" {
  state = "available"
  lifecycle {
    postcondition {
      condition     = length(self.names) >= 2 && length(self.zone_ids) == length(self.names)
      error_message = "expected at least two zones with their ids"
    }
  }
}

resource "aws_default_vpc" "default" {
  tags = { Name = "default" }
}

resource "aws_default_subnet" "a" {
  availability_zone = data.aws_availability_zones.zones.names[0]
  tags              = { Name = "default-a" }
}

resource "aws_security_group" "admin" {
  name_prefix = "admin-"
  description = "Remote administration"
  vpc_id      = aws_default_vpc.default.id
}

resource "aws_security_group_rule" "ssh_v4" {
  type              = "ingress"
  security_group_id = aws_security_group.admin.id
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_blocks       = var.stage == 0 ? ["203.0.113.25/32"] : ["203.0.113.25/32", "198.51.100.0/24"]
  description       = "SSH from the office"
}

resource "aws_security_group_rule" "ssh_v6" {
  type              = "ingress"
  security_group_id = aws_security_group.admin.id
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  ipv6_cidr_blocks  = ["2001:db8:1234::/48"]
}

resource "aws_security_group_rule" "rdp" {
  type              = "ingress"
  security_group_id = aws_security_group.admin.id
  protocol          = "tcp"
  from_port         = 3389
  to_port           = 3389
  cidr_blocks       = ["203.0.113.25/32"]
  description       = var.stage == 0 ? "RDP from the office" : "RDP from the office (Windows hosts)"
}

resource "aws_network_interface" "bastion" {
  subnet_id       = aws_default_subnet.a.id
  security_groups = [aws_security_group.admin.id]
  description     = "bastion"
}

data "aws_network_interface" "bastion" {
  id = aws_network_interface.bastion.id
  lifecycle {
    postcondition {
      condition     = self.availability_zone == data.aws_availability_zones.zones.names[0] && contains(self.security_groups, aws_security_group.admin.id)
      error_message = "the interface's zone or groups are wrong"
    }
  }
}

output "account" {
  value = data.aws_caller_identity.me.account_id
}
