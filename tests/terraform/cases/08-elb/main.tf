# Use case 8, Elastic Load Balancing: the load balancer's group takes the listener port from
# the internet and sends the instance listener and health-check ports to the instances'
# group; the instances' group takes both from the load balancer's group. The two groups
# reference each other, so the rules are standalone. The instances may also reach S3
# through its AWS-managed prefix list.
# Change (stage 1): the health check moves to its own port.

locals {
  listener      = 443
  instance_port = 8080
  health_port   = var.stage == 0 ? 8080 : 8081
}

resource "aws_vpc" "elb" {
  cidr_block = "10.8.0.0/16"
}

resource "aws_subnet" "web" {
  count             = 2
  vpc_id            = aws_vpc.elb.id
  cidr_block        = "10.8.${count.index}.0/24"
  availability_zone = data.aws_availability_zones.zones.names[count.index]
}

data "aws_availability_zones" "zones" {}

data "aws_prefix_list" "s3" {
  name = "com.amazonaws.${var.region}.s3"
}

resource "aws_security_group" "lb" {
  name        = "lb"
  description = "Internet-facing load balancer"
  vpc_id      = aws_vpc.elb.id
}

resource "aws_security_group" "instances" {
  name        = "lb-targets"
  description = "Instances behind the load balancer"
  vpc_id      = aws_vpc.elb.id
}

resource "aws_vpc_security_group_ingress_rule" "listener" {
  security_group_id = aws_security_group.lb.id
  ip_protocol       = "tcp"
  from_port         = local.listener
  to_port           = local.listener
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "to_instances" {
  for_each                     = toset([tostring(local.instance_port), tostring(local.health_port)])
  security_group_id            = aws_security_group.lb.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  referenced_security_group_id = aws_security_group.instances.id
}

resource "aws_vpc_security_group_ingress_rule" "from_lb" {
  for_each                     = toset([tostring(local.instance_port), tostring(local.health_port)])
  security_group_id            = aws_security_group.instances.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  referenced_security_group_id = aws_security_group.lb.id
}

resource "aws_vpc_security_group_egress_rule" "s3" {
  security_group_id = aws_security_group.instances.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_prefix_list.s3.id
}

resource "aws_instance" "target" {
  count                  = 2
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.web[count.index].id
  vpc_security_group_ids = [aws_security_group.instances.id]
  tags                   = { Name = "target-${count.index}" }
}

data "aws_security_groups" "lb" {
  filter {
    name   = "ip-permission.group-id"
    values = [aws_security_group.lb.id]
  }
  depends_on = [aws_vpc_security_group_ingress_rule.from_lb]
  lifecycle {
    postcondition {
      condition     = length(self.ids) == 1 && one(self.ids) == aws_security_group.instances.id
      error_message = "only the instances' group should take traffic from the load balancer's"
    }
  }
}
