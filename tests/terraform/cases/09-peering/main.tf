# Use case 9, VPC peering: a rule references a group in a peered VPC. Two VPCs of one
# account and region peer with auto_accept, with routes over the peering both ways; a third
# VPC, of a second account in another region, is peered from the first and accepted by its
# owner (aws_vpc_peering_connection_accepter).
# Change (stage 1): the app group also takes 5432 from the peered VPC's group, and the
# same-region peering allows DNS resolution from the remote VPC.

resource "aws_vpc" "a" {
  cidr_block = "10.9.0.0/16"
  tags       = { Name = "peer-a" }
}

resource "aws_vpc" "b" {
  cidr_block = "10.90.0.0/16"
  tags       = { Name = "peer-b" }
}

resource "aws_vpc" "remote" {
  provider   = aws.peer
  cidr_block = "10.99.0.0/16"
  tags       = { Name = "peer-remote" }
}

resource "aws_vpc_peering_connection" "ab" {
  vpc_id      = aws_vpc.a.id
  peer_vpc_id = aws_vpc.b.id
  auto_accept = true
  tags        = { Name = "a-b" }

  dynamic "requester" {
    for_each = var.stage == 0 ? [] : [1]
    content {
      allow_remote_vpc_dns_resolution = true
    }
  }
}

resource "aws_route" "a_to_b" {
  route_table_id            = aws_vpc.a.main_route_table_id
  destination_cidr_block    = aws_vpc.b.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.ab.id
}

resource "aws_route" "b_to_a" {
  route_table_id            = aws_vpc.b.main_route_table_id
  destination_cidr_block    = aws_vpc.a.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.ab.id
}

data "aws_caller_identity" "peer" {
  provider = aws.peer
}

resource "aws_vpc_peering_connection" "remote" {
  vpc_id        = aws_vpc.a.id
  peer_vpc_id   = aws_vpc.remote.id
  peer_owner_id = data.aws_caller_identity.peer.account_id
  peer_region   = var.peer_region
  tags          = { Name = "a-remote" }
}

resource "aws_vpc_peering_connection_accepter" "remote" {
  provider                  = aws.peer
  vpc_peering_connection_id = aws_vpc_peering_connection.remote.id
  auto_accept               = true
  tags                      = { Name = "a-remote" }
}

resource "aws_security_group" "b_clients" {
  name        = "clients"
  description = "Clients in VPC b"
  vpc_id      = aws_vpc.b.id
}

resource "aws_security_group" "a_app" {
  name        = "app"
  description = "App in VPC a, used from VPC b"
  vpc_id      = aws_vpc.a.id
  depends_on  = [aws_vpc_peering_connection.ab]

  ingress {
    protocol        = "tcp"
    from_port       = 443
    to_port         = 443
    security_groups = [aws_security_group.b_clients.id]
  }
  dynamic "ingress" {
    for_each = var.stage == 0 ? [] : [1]
    content {
      protocol        = "tcp"
      from_port       = 5432
      to_port         = 5432
      security_groups = [aws_security_group.b_clients.id]
    }
  }
}

data "aws_vpc" "a" {
  id = aws_vpc.a.id
}
