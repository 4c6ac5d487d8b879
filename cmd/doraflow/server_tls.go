package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"

	"doraflow/config"
)

// serverTLS loads the certificate and key of server.tls for the HTTP API:
// nil when neither file is set (plain HTTP). An error names the key whose
// file is missing, unreadable or wrong. The files are read once, at start:
// restart doraflow run after renewing the certificate.
func serverTLS(c config.ServerTLS) (*tls.Config, error) {
	if c.CertFile == "" && c.KeyFile == "" {
		return nil, nil
	}
	if c.CertFile == "" || c.KeyFile == "" {
		// config.Load refuses this; a Config built in code may not.
		return nil, errors.New("server.tls: set both cert_file and key_file, or neither")
	}
	certPEM, err := os.ReadFile(c.CertFile)
	if err != nil {
		return nil, fmt.Errorf("server.tls.cert_file: %w (set it to a readable PEM certificate, or remove server.tls to serve plain HTTP)", err)
	}
	keyPEM, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("server.tls.key_file: %w (set it to the readable PEM private key of server.tls.cert_file)", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The error names what is wrong, never the key's content.
		return nil, fmt.Errorf("server.tls.cert_file %s and key_file %s: %w (want a PEM certificate chain and its PEM private key)", c.CertFile, c.KeyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
