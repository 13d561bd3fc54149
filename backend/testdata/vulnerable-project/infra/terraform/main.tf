# INTENTIONALLY VULNERABLE test data for SecuLite: never apply.
provider "aws" {
  region = "eu-central-1"
}

resource "aws_s3_bucket" "uploads" {
  bucket = "vulnerable-project-uploads"
  acl    = "public-read"
}

resource "aws_security_group" "ssh" {
  name        = "vulnerable-project-ssh"
  description = "SSH access"

  ingress {
    description = "SSH from anywhere"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
