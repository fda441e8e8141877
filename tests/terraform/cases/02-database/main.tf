# Use case 2, database servers: each engine's port from the application tier's group and
# from the VPC's CIDR, with the default egress replaced by software updates only (80/443,
# IPv4 and IPv6). Standalone rule resources (aws_vpc_security_group_*_rule).
# Change (stage 1): PostgreSQL moves from the CIDR source to the app group, and a port
# changes in place (ModifySecurityGroupRules).

locals {
  engines = {
    mssql    = 1433
    mysql    = 3306
    redshift = 5439
    postgres = 5432
    oracle   = 1521
  }
}

resource "aws_vpc" "db" {
  cidr_block                       = "10.2.0.0/16"
  assign_generated_ipv6_cidr_block = true
  tags                             = { Name = "db" }
}

resource "aws_subnet" "app" {
  vpc_id            = aws_vpc.db.id
  cidr_block        = "10.2.1.0/24"
  availability_zone = "${var.region}a"
}

resource "aws_subnet" "data" {
  vpc_id            = aws_vpc.db.id
  cidr_block        = "10.2.2.0/24"
  availability_zone = "${var.region}b"
}

resource "aws_security_group" "app" {
  name        = "app"
  description = "Application servers"
  vpc_id      = aws_vpc.db.id
}

resource "aws_security_group" "db" {
  name        = "db"
  description = "Database servers"
  vpc_id      = aws_vpc.db.id
  tags        = { Tier = "data" }
}

resource "aws_vpc_security_group_ingress_rule" "from_app" {
  for_each                     = local.engines
  security_group_id            = aws_security_group.db.id
  description                  = "${each.key} from the app tier"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.app.id
  tags                         = { Engine = each.key }
}

resource "aws_vpc_security_group_ingress_rule" "from_cidr" {
  for_each          = var.stage == 0 ? local.engines : { for k, v in local.engines : k => v if k != "postgres" }
  security_group_id = aws_security_group.db.id
  description       = "${each.key} from the VPC"
  ip_protocol       = "tcp"
  from_port         = each.key == "oracle" && var.stage == 1 ? 2484 : each.value
  to_port           = each.key == "oracle" && var.stage == 1 ? 2484 : each.value
  cidr_ipv4         = aws_vpc.db.cidr_block
}

resource "aws_vpc_security_group_egress_rule" "updates_v4" {
  for_each          = toset(["80", "443"])
  security_group_id = aws_security_group.db.id
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "updates_v6" {
  for_each          = toset(["80", "443"])
  security_group_id = aws_security_group.db.id
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv6         = "::/0"
}

data "aws_security_group" "db" {
  id         = aws_security_group.db.id
  depends_on = [aws_vpc_security_group_ingress_rule.from_app]
}

data "aws_security_groups" "in_vpc" {
  filter {
    name   = "vpc-id"
    values = [aws_vpc.db.id]
  }
  depends_on = [aws_security_group.app, aws_security_group.db]
  lifecycle {
    postcondition {
      # app, db and the VPC's default group
      condition     = length(self.ids) == 3
      error_message = "expected three groups in the VPC"
    }
  }
}

data "aws_vpc" "db" {
  id = aws_vpc.db.id
}

data "aws_subnets" "db" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.db.id]
  }
  depends_on = [aws_subnet.app, aws_subnet.data]
  lifecycle {
    postcondition {
      condition     = length(self.ids) == 2
      error_message = "expected two subnets"
    }
  }
}
