// Package sources lists the sources doraflow is built with. It is the one
// place a new source is registered: each source package declares its
// methods and their filters (Methods), and Registry collects them for the
// config loader, which validates blocks with them, and for the pipeline,
// which finds each block's source in them.
package sources

import (
	"doraflow"
	"doraflow/extract/custom"
	"doraflow/extract/github"
	"doraflow/extract/pagerduty"
)

// Registry returns the methods of every built-in source. The order is the
// order in which the docs and the config's messages list the methods.
func Registry() *doraflow.Registry {
	return doraflow.NewRegistry(github.Methods(), pagerduty.Methods(), custom.Methods())
}
