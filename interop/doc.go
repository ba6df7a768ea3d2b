// Package interop runs the built ecr-credential-provider binary against code
// nobody on the team wrote. See README.md.
package interop
