# Use case 4, instances in one group talking to each other: a self-referencing rule, on
# interfaces in a subnet of a secondary CIDR block; the VPC's default group taken over by
# Terraform.
# Change (stage 1): the self rule is replaced by the subnet's CIDR; the main route table
# moves to a table of our own (aws_main_route_table_association).

resource "aws_vpc" "cluster" {
  cidr_block = "10.4.0.0/16"
  tags       = { Name = "cluster" }
}

resource "aws_vpc_ipv4_cidr_block_association" "more" {
  vpc_id     = aws_vpc.cluster.id
  cidr_block = "10.40.0.0/16"
}

resource "aws_subnet" "nodes" {
  vpc_id            = aws_vpc_ipv4_cidr_block_association.more.vpc_id
  cidr_block        = "10.40.1.0/24"
  availability_zone = "${var.region}a"
}

resource "aws_security_group" "cluster" {
  name        = "cluster"
  description = "Cluster nodes"
  vpc_id      = aws_vpc.cluster.id

  ingress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    self        = var.stage == 0
    cidr_blocks = var.stage == 0 ? [] : [aws_subnet.nodes.cidr_block]
  }
}

resource "aws_default_security_group" "default" {
  vpc_id = aws_vpc.cluster.id
  ingress {
    protocol  = -1
    self      = true
    from_port = 0
    to_port   = 0
  }
  tags = { Name = "cluster-default" }
}

resource "aws_network_interface" "node" {
  count       = 2
  subnet_id   = aws_subnet.nodes.id
  private_ips = ["10.40.1.${10 + count.index}"]
  tags        = { Name = "node-${count.index}" }
}

resource "aws_network_interface_sg_attachment" "node" {
  count                = 2
  security_group_id    = aws_security_group.cluster.id
  network_interface_id = aws_network_interface.node[count.index].id
}

resource "aws_route_table" "ours" {
  vpc_id = aws_vpc.cluster.id
  tags   = { Name = "cluster-ours" }
}

resource "aws_main_route_table_association" "main" {
  count          = var.stage
  vpc_id         = aws_vpc.cluster.id
  route_table_id = aws_route_table.ours.id
}

data "aws_network_interfaces" "nodes" {
  filter {
    name   = "group-id"
    values = [aws_security_group.cluster.id]
  }
  depends_on = [aws_network_interface_sg_attachment.node]
  lifecycle {
    postcondition {
      condition     = length(self.ids) == 2
      error_message = "both interfaces should carry the cluster group"
    }
  }
}
