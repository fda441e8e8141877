# Copied into every case's working directory by tests/terraform/run.py: the provider
# pointed at `palisade serve`, as a user would point it at any EC2 endpoint.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" { type = string }
variable "region" { type = string }
variable "access_key" { type = string }
variable "secret_key" { type = string }
# The second account (cross-account cases), in its own region.
variable "peer_region" { type = string }
variable "peer_access_key" { type = string }
variable "peer_secret_key" { type = string }
# 0 on the first apply, 1 for the change the case makes.
variable "stage" {
  type    = number
  default = 0
}

provider "aws" {
  region                      = var.region
  access_key                  = var.access_key
  secret_key                  = var.secret_key
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {
    ec2 = var.endpoint
    sts = var.endpoint
    iam = var.endpoint
  }
}

provider "aws" {
  alias                       = "peer"
  region                      = var.peer_region
  access_key                  = var.peer_access_key
  secret_key                  = var.peer_secret_key
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {
    ec2 = var.endpoint
    sts = var.endpoint
    iam = var.endpoint
  }
}
