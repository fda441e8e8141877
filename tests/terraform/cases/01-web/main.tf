# Use case 1, a web server: HTTP/HTTPS from anywhere, IPv4 and IPv6, on an instance in a
# public subnet (internet gateway, routes, an Elastic IP).
# Change (stage 1): HTTP is dropped for IPv4 and 8443 opens; the instance gets a new tag.

resource "aws_vpc" "web" {
  cidr_block                       = "10.1.0.0/16"
  enable_dns_support               = true
  enable_dns_hostnames             = true
  assign_generated_ipv6_cidr_block = true
  tags                             = { Name = "web" }
}

resource "aws_subnet" "public" {
  vpc_id                          = aws_vpc.web.id
  cidr_block                      = "10.1.1.0/24"
  ipv6_cidr_block                 = cidrsubnet(aws_vpc.web.ipv6_cidr_block, 8, 1)
  availability_zone               = "${var.region}a"
  map_public_ip_on_launch         = true
  assign_ipv6_address_on_creation = true
  tags                            = { Name = "web-public" }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.web.id
  tags   = { Name = "web" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.web.id
  tags   = { Name = "web-public" }
}

resource "aws_route" "v4" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.gw.id
}

resource "aws_route" "v6" {
  route_table_id              = aws_route_table.public.id
  destination_ipv6_cidr_block = "::/0"
  gateway_id                  = aws_internet_gateway.gw.id
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "web" {
  name        = "web"
  description = "Web servers"
  vpc_id      = aws_vpc.web.id

  dynamic "ingress" {
    for_each = var.stage == 0 ? [80, 443] : [443, 8443]
    content {
      description = "HTTP(S) from any IPv4"
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
  dynamic "ingress" {
    for_each = [80, 443]
    content {
      description      = "HTTP(S) from any IPv6"
      from_port        = ingress.value
      to_port          = ingress.value
      protocol         = "tcp"
      ipv6_cidr_blocks = ["::/0"]
    }
  }
  egress {
    from_port        = 0
    to_port          = 0
    protocol         = "-1"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }
  tags = { Name = "web" }
}

resource "aws_instance" "web" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.web.id]
  private_ip             = "10.1.1.10"
  ipv6_address_count     = 1
  user_data              = "#!/bin/sh\necho hello > /tmp/hello\n"
  tags                   = { Name = "web", Stage = tostring(var.stage) }
}

resource "aws_eip" "web" {
  domain = "vpc"
  tags   = { Name = "web" }
}

resource "aws_eip_association" "web" {
  allocation_id = aws_eip.web.id
  instance_id   = aws_instance.web.id
}

data "aws_instance" "web" {
  instance_id = aws_instance.web.id
  depends_on  = [aws_eip_association.web]
  lifecycle {
    postcondition {
      condition     = self.public_ip == aws_eip.web.public_ip && length(self.ipv6_addresses) == 1
      error_message = "the instance's public address is not its Elastic IP, or it has no IPv6 address"
    }
  }
}
