// Command ecr-credential-provider is a kubelet image credential provider for
// Amazon ECR.
package main

func main() {}
