package main

import "time"

// credentials are one set of AWS credentials, from whichever source the
// chain found first.
type credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string    // empty for long-term keys
	Expires         time.Time // zero when the source gave no expiry
}
