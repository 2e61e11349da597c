// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package testenv starts a real kube-apiserver and etcd (built by `make setup-envtest`) with the operator's CRDs
// installed, for integration tests.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// RepoRoot returns the repository root: the nearest parent of the working directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// NewScheme returns a scheme with the built-in types and the operator's API.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := v1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Scheme is NewScheme for package-level test setup, where a scheme that cannot be built is a programming error.
func Scheme() *runtime.Scheme {
	s, err := NewScheme()
	if err != nil {
		panic(err)
	}
	return s
}

// New returns an environment that installs the CRDs of config/crd/bases, failing if they are missing.
// KUBEBUILDER_ASSETS must name the folder of the control-plane binaries (`make -s envtest-assets`).
//
// The kube-apiserver and etcd are the only processes of the tests whose ports are chosen before they are bound:
// envtest picks them and passes them as flags, and this is left to it. It keeps two test processes from choosing
// the same port with a lock file per port in the user's cache folder (kubebuilder-envtest), held two minutes; a
// program that is not envtest taking the port meanwhile fails the start. The fault suite's restart of the API
// server needs the port fixed anyway, so that the kubeconfigs issued before stay valid.
func New() (*envtest.Environment, error) {
	return NewWithCRDs("")
}

// NewWithCRDs is New with the CRDs of another folder (an earlier commit's, for the upgrade test); "" is
// config/crd/bases.
func NewWithCRDs(crdDir string) (*envtest.Environment, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: run the tests with `make test`, " +
			"or export KUBEBUILDER_ASSETS=$(make -s envtest-assets)")
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	if crdDir == "" {
		crdDir = filepath.Join(root, "config", "crd", "bases")
	}
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	return &envtest.Environment{
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
	}, nil
}

// Start starts an environment from New and returns it; call Stop on it when done.
func Start() (*envtest.Environment, error) {
	return StartWithCRDs("")
}

// StartWithCRDs starts an environment from NewWithCRDs and returns it; call Stop on it when done.
func StartWithCRDs(crdDir string) (*envtest.Environment, error) {
	env, err := NewWithCRDs(crdDir)
	if err != nil {
		return nil, err
	}
	if _, err := env.Start(); err != nil {
		// A failed CRD install leaves the started processes running otherwise.
		_ = env.Stop()
		return nil, fmt.Errorf("starting the control plane from %s: %w", env.BinaryAssetsDirectory, err)
	}
	return env, nil
}
