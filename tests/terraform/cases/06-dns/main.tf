# Use case 6, a DNS server: TCP and UDP 53 from the clients' group and from the networks in
# two customer-managed prefix lists (one with inline entries, one built from
# aws_ec2_managed_prefix_list_entry; the provider forbids mixing both on one list).
# Change (stage 1): each list gains an entry (a new version) and the first is renamed.

resource "aws_vpc" "dns" {
  cidr_block = "10.6.0.0/16"
}

resource "aws_ec2_managed_prefix_list" "offices" {
  name           = var.stage == 0 ? "dns-offices" : "dns-offices-renamed"
  address_family = "IPv4"
  max_entries    = 10

  entry {
    cidr        = "10.6.0.0/24"
    description = "head office"
  }
  dynamic "entry" {
    for_each = var.stage == 0 ? [] : ["10.6.1.0/24"]
    content {
      cidr        = entry.value
      description = "second office"
    }
  }
  tags = { Use = "dns" }
}

resource "aws_ec2_managed_prefix_list" "branches" {
  name           = "dns-branches"
  address_family = "IPv6"
  max_entries    = 5
}

resource "aws_ec2_managed_prefix_list_entry" "branch" {
  count          = 1 + var.stage
  prefix_list_id = aws_ec2_managed_prefix_list.branches.id
  cidr           = "2001:db8:6${count.index}::/64" # canonical: the provider finds entries by text
  description    = "branch ${count.index}"
}

resource "aws_security_group" "clients" {
  name        = "dns-clients"
  description = "Needs DNS"
  vpc_id      = aws_vpc.dns.id
}

resource "aws_security_group" "dns" {
  name        = "dns"
  description = "DNS servers"
  vpc_id      = aws_vpc.dns.id

  dynamic "ingress" {
    for_each = ["tcp", "udp"]
    content {
      protocol        = ingress.value
      from_port       = 53
      to_port         = 53
      security_groups = [aws_security_group.clients.id]
      prefix_list_ids = [aws_ec2_managed_prefix_list.offices.id, aws_ec2_managed_prefix_list.branches.id]
    }
  }
}

data "aws_caller_identity" "me" {}

data "aws_ec2_managed_prefix_list" "offices" {
  id = aws_ec2_managed_prefix_list.offices.id
  lifecycle {
    postcondition {
      condition     = length(self.entries) == 1 + var.stage && self.owner_id == data.aws_caller_identity.me.account_id
      error_message = "the prefix list's entries or owner are wrong"
    }
  }
}
