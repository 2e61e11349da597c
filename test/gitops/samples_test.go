/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package gitops

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// sampleFiles returns the YAML files of config/samples other than the kustomization.
func sampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(repoPath("config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "kustomization.yaml" })
	if len(files) == 0 {
		t.Fatal("config/samples holds no sample")
	}
	return files
}

// TestSamplesAccepted creates every object of every sample on the API server, with unknown fields rejected, so a
// sample can never drift from the schema.
func TestSamplesAccepted(t *testing.T) {
	ns := newNamespace(t, "samples")
	for _, file := range sampleFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decodeObjects(data)
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			if len(objs) == 0 {
				t.Fatal("no object in the file")
			}
			for _, obj := range objs {
				if obj.GetNamespace() != "" {
					t.Errorf("%s sets a namespace; samples are applied into the current namespace", describe(obj))
				}
				obj.SetNamespace(ns)
				if err := k8s.Create(context.Background(), obj); err != nil {
					t.Errorf("the API server rejected %s: %v", describe(obj), err)
				}
			}
		})
	}
}

// TestSamplesListed keeps config/samples/kustomization.yaml in step with the files, so that
// `kustomize build config/samples` applies every sample.
func TestSamplesListed(t *testing.T) {
	data, err := os.ReadFile(repoPath("config", "samples", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	paths := sampleFiles(t)
	files := make([]string, 0, len(paths))
	for _, f := range paths {
		files = append(files, filepath.Base(f))
	}
	slices.Sort(files)
	listed := slices.Clone(k.Resources)
	slices.Sort(listed)
	if !slices.Equal(files, listed) {
		t.Errorf("config/samples/kustomization.yaml lists %v, the folder holds %v", listed, files)
	}
}

// TestSamplesSelfContained checks that every Secret key a sample Destination needs is in the samples too, and
// that the placeholders are obviously fake, so applying config/samples gives the operator all it reads.
func TestSamplesSelfContained(t *testing.T) {
	secrets := map[string]map[string]string{}
	var destinations []*v1.Destination
	for _, file := range sampleFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeObjects(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, obj := range objs {
			switch obj.GetKind() {
			case "Secret":
				s := &corev1.Secret{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, s); err != nil {
					t.Fatal(err)
				}
				secrets[s.Name] = s.StringData
			case "Destination":
				d := &v1.Destination{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, d); err != nil {
					t.Fatal(err)
				}
				destinations = append(destinations, d)
			}
		}
	}

	wantKinds := map[string]func(d *v1.Destination) bool{
		"an http destination with bearer auth and a header from a Secret": func(d *v1.Destination) bool {
			h := d.Spec.HTTP
			return h != nil && h.Auth != nil && h.Auth.Bearer != nil && len(h.HeadersFrom) > 0
		},
		"an awsSqs destination": func(d *v1.Destination) bool { return d.Spec.AWSSQS != nil },
		"a paused destination":  func(d *v1.Destination) bool { return d.Spec.State == v1.StatePaused },
	}
	for what, match := range wantKinds {
		if !slices.ContainsFunc(destinations, match) {
			t.Errorf("no sample is %s", what)
		}
	}

	apiKey := secrets["hookstream-credentials"][v1.CredentialsKey]
	if !regexp.MustCompile(`^hs_test_[0-9a-f]{64}$`).MatchString(apiKey) {
		t.Errorf("hookstream-credentials apiKey is %q, want the placeholder hs_test_ + 64 hex digits", apiKey)
	}
	for _, d := range destinations {
		for _, ref := range secretRefs(d) {
			values, ok := secrets[ref.Name]
			if !ok {
				t.Errorf("Destination %s references Secret %s, which no sample holds", d.Name, ref.Name)
				continue
			}
			if _, ok := values[ref.Key]; !ok {
				t.Errorf("Destination %s references key %s of Secret %s, which it does not hold", d.Name, ref.Key, ref.Name)
			}
		}
	}
}

// secretRefs lists the Secret keys a Destination reads, including the default credentials.
func secretRefs(d *v1.Destination) []v1.SecretKeySelector {
	credentials := "hookstream-credentials"
	if d.Spec.CredentialsRef != nil {
		credentials = d.Spec.CredentialsRef.Name
	}
	refs := []v1.SecretKeySelector{{Name: credentials, Key: v1.CredentialsKey}}
	s := d.Spec
	if s.HTTP != nil {
		for _, h := range s.HTTP.HeadersFrom {
			refs = append(refs, h.ValueFrom)
		}
		if a := s.HTTP.Auth; a != nil {
			switch {
			case a.Bearer != nil:
				refs = append(refs, a.Bearer.TokenSecretRef)
			case a.Basic != nil:
				refs = append(refs, a.Basic.PasswordSecretRef)
			case a.APIKey != nil:
				refs = append(refs, a.APIKey.ValueSecretRef)
			}
		}
	}
	if s.AWSSQS != nil {
		refs = append(refs, s.AWSSQS.SecretAccessKeySecretRef)
	}
	if s.AWSS3 != nil {
		refs = append(refs, s.AWSS3.SecretAccessKeySecretRef)
	}
	if s.AWSEventBridge != nil {
		refs = append(refs, s.AWSEventBridge.SecretAccessKeySecretRef)
	}
	if s.GCPPubSub != nil {
		refs = append(refs, s.GCPPubSub.ServiceAccountJSONSecretRef)
	}
	if s.Kafka != nil {
		refs = append(refs, s.Kafka.APISecretSecretRef)
	}
	if s.RabbitMQ != nil {
		refs = append(refs, s.RabbitMQ.PasswordSecretRef)
	}
	return refs
}
