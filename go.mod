module ecr-credential-provider

go 1.26
