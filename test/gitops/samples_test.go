// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	jsonata "github.com/blues/jsonata-go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/managed"
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

// samples are the objects of config/samples the operator reads, by kind.
type samples struct {
	secrets      map[string]map[string]string
	configMaps   map[string]map[string]string
	destinations []*v1.Destination
	sources      []*v1.Source
	connections  []*v1.Connection
}

func readSamples(t *testing.T) samples {
	t.Helper()
	all := samples{secrets: map[string]map[string]string{}, configMaps: map[string]map[string]string{}}
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
			convert := func(into any) {
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into); err != nil {
					t.Fatalf("%s: %v", describe(obj), err)
				}
			}
			switch obj.GetKind() {
			case "Secret":
				s := &corev1.Secret{}
				convert(s)
				all.secrets[s.Name] = s.StringData
			case "ConfigMap":
				cm := &corev1.ConfigMap{}
				convert(cm)
				all.configMaps[cm.Name] = cm.Data
			case "Destination":
				d := &v1.Destination{}
				convert(d)
				all.destinations = append(all.destinations, d)
			case "Source":
				src := &v1.Source{}
				convert(src)
				all.sources = append(all.sources, src)
			case "Connection":
				c := &v1.Connection{}
				convert(c)
				all.connections = append(all.connections, c)
			}
		}
	}
	return all
}

// TestSamplesSelfContained checks that every Secret and ConfigMap key a sample Destination or Source needs is in
// the samples too, that every Source and Destination a sample Connection references is a sample too, using the
// same API key, and that the placeholders are obviously fake, so applying config/samples gives the operator all it
// reads.
func TestSamplesSelfContained(t *testing.T) {
	all := readSamples(t)
	checkSamplesCover(t, all)

	apiKey := all.secrets["hookstream-credentials"][v1.CredentialsKey]
	if !regexp.MustCompile(`^hs_test_[0-9a-f]{64}$`).MatchString(apiKey) {
		t.Errorf("hookstream-credentials apiKey is %q, want the placeholder hs_test_ + 64 hex digits", apiKey)
	}
	for _, d := range all.destinations {
		checkSecretRefs(t, all, "Destination "+d.Name, secretRefs(d, d.Spec))
	}
	for _, s := range all.sources {
		what := "Source " + s.Name
		checkSecretRefs(t, all, what, secretRefs(s, s.Spec))
		if v := s.Spec.Verification; v != nil {
			// A signing secret is the kind of value people paste real ones into: the samples must say it is fake.
			if secret := all.secrets[v.SecretRef.Name][v.SecretRef.Key]; !strings.Contains(secret, "fake") {
				t.Errorf("%s signing secret %q is not an obvious placeholder (put fake in it)", what, secret)
			}
		}
		if sv := s.Spec.SchemaValidation; sv != nil && sv.SchemaConfigMapRef != nil {
			ref := sv.SchemaConfigMapRef
			schema, ok := all.configMaps[ref.Name][ref.Key]
			if !ok {
				t.Errorf("%s reads key %s of ConfigMap %s, which no sample holds", what, ref.Key, ref.Name)
			} else if err := json.Unmarshal([]byte(schema), new(map[string]any)); err != nil {
				t.Errorf("%s: the schema in ConfigMap %s key %s is not a JSON object: %v", what, ref.Name, ref.Key, err)
			}
		}
		// The operator leaves a ConfigMap it does not own alone (ConfigMapConflict): a sample must not create it.
		if name := s.Spec.IngestURLConfigMap; name != "" {
			if _, ok := all.configMaps[name]; ok {
				t.Errorf("%s publishes its ingest URL into ConfigMap %s, which a sample creates: the operator "+
					"would refuse to touch it", what, name)
			}
		}
	}
	for _, c := range all.connections {
		checkConnectionSample(t, all, c)
	}
}

// checkSamplesCover checks that the samples show what each kind is mostly used for.
func checkSamplesCover(t *testing.T, all samples) {
	t.Helper()
	wantDestinations := map[string]func(d *v1.Destination) bool{
		"an http destination with bearer auth and a header from a Secret": func(d *v1.Destination) bool {
			h := d.Spec.HTTP
			return h != nil && h.Auth != nil && h.Auth.Bearer != nil && len(h.HeadersFrom) > 0
		},
		"an awsSqs destination": func(d *v1.Destination) bool { return d.Spec.AWSSQS != nil },
		"a paused destination":  func(d *v1.Destination) bool { return d.Spec.State == v1.StatePaused },
	}
	for what, match := range wantDestinations {
		if !slices.ContainsFunc(all.destinations, match) {
			t.Errorf("no sample is %s", what)
		}
	}
	wantSources := map[string]func(s *v1.Source) bool{
		"a github source with its signing secret, deduplicated by X-GitHub-Delivery, publishing its ingest URL": func(
			s *v1.Source,
		) bool {
			d := s.Spec.Deduplication
			return s.Spec.Template == "github" && s.Spec.Verification != nil && s.Spec.IngestURLConfigMap != "" &&
				d != nil && d.Strategy == "header_field" && d.Field == "X-GitHub-Delivery"
		},
		"a source validating bodies against a schema from a ConfigMap": func(s *v1.Source) bool {
			return s.Spec.SchemaValidation != nil && s.Spec.SchemaValidation.SchemaConfigMapRef != nil
		},
	}
	for what, match := range wantSources {
		if !slices.ContainsFunc(all.sources, match) {
			t.Errorf("no sample is %s", what)
		}
	}
	wantConnections := map[string]func(c *v1.Connection) bool{
		"a connection between a sample Source and Destination, filtering on a header and the body, with a transform": func(
			c *v1.Connection,
		) bool {
			fields := make([]string, 0, len(c.Spec.Filters))
			for _, f := range c.Spec.Filters {
				fields = append(fields, f.Field)
			}
			return c.Spec.SourceRef != nil && c.Spec.DestinationRef != nil && c.Spec.Transform != nil &&
				countPrefix(fields, "headers.") > 0 && countPrefix(fields, "payload.") > 0
		},
	}
	for what, match := range wantConnections {
		if !slices.ContainsFunc(all.connections, match) {
			t.Errorf("no sample is %s", what)
		}
	}
}

// checkSecretRefs checks that the samples hold every Secret key an object reads.
func checkSecretRefs(t *testing.T, all samples, what string, refs []v1.SecretKeySelector) {
	t.Helper()
	for _, ref := range refs {
		values, ok := all.secrets[ref.Name]
		if !ok {
			t.Errorf("%s references Secret %s, which no sample holds", what, ref.Name)
			continue
		}
		if _, ok := values[ref.Key]; !ok {
			t.Errorf("%s references key %s of Secret %s, which it does not hold", what, ref.Key, ref.Name)
		}
	}
}

// checkConnectionSample checks that a sample Connection can be routed once config/samples is applied: the objects it
// references are samples using its API key (another key stops it with ProjectMismatch), and its transform turns a
// webhook of its Source's template into an object.
func checkConnectionSample(t *testing.T, all samples, c *v1.Connection) {
	t.Helper()
	what := "Connection " + c.Name
	key := credentialsRef(c.Spec.ManagedSpec)
	checkSecretRefs(t, all, what, []v1.SecretKeySelector{key})
	var source *v1.Source
	if ref := c.Spec.SourceRef; ref != nil {
		i := slices.IndexFunc(all.sources, func(s *v1.Source) bool { return s.Name == ref.Name })
		if i < 0 {
			t.Errorf("%s routes from Source %s, which no sample holds: it would wait forever", what, ref.Name)
		} else if source = all.sources[i]; credentialsRef(source.Spec.ManagedSpec) != key {
			t.Errorf("%s and Source %s use different credentials: the Connection would stop with ProjectMismatch", what,
				ref.Name)
		}
	}
	if ref := c.Spec.DestinationRef; ref != nil {
		i := slices.IndexFunc(all.destinations, func(d *v1.Destination) bool { return d.Name == ref.Name })
		if i < 0 {
			t.Errorf("%s routes to Destination %s, which no sample holds: it would wait forever", what, ref.Name)
		} else if credentialsRef(all.destinations[i].Spec.ManagedSpec) != key {
			t.Errorf("%s and Destination %s use different credentials: the Connection would stop with ProjectMismatch",
				what, ref.Name)
		}
	}
	if c.Spec.Transform == nil || *c.Spec.Transform == "" {
		return
	}
	expr, err := jsonata.Compile(*c.Spec.Transform)
	if err != nil {
		t.Errorf("%s: the transform is not JSONata: %v", what, err)
		return
	}
	if source == nil || source.Spec.Template != "github" {
		return
	}
	// The transform reads the body at its root (filters say payload.<path>, a transform does not): a path written
	// with payload. would read nothing, and JSONata leaves such keys out of the object.
	var body any
	if err := json.Unmarshal([]byte(githubPullRequestOpened), &body); err != nil {
		t.Fatal(err)
	}
	out, err := expr.Eval(body)
	if err != nil {
		t.Errorf("%s: the transform fails on a GitHub pull_request webhook: %v", what, err)
		return
	}
	object, ok := out.(map[string]any)
	if !ok {
		t.Errorf("%s: the transform returns %T on a GitHub pull_request webhook, hookstream needs an object", what, out)
		return
	}
	if object["number"] != float64(42) {
		t.Errorf("%s: the transform's object %v lacks the pull request's number 42", what, object)
	}
}

// githubPullRequestOpened is the part of GitHub's pull_request webhook (action opened) that the samples read.
const githubPullRequestOpened = `{
  "action": "opened",
  "number": 42,
  "pull_request": {
    "number": 42,
    "title": "Send order events",
    "html_url": "https://github.com/example/orders/pull/42",
    "user": {"login": "octocat"}
  },
  "repository": {"full_name": "example/orders"}
}`

// credentialsRef is the credentials Secret key of an object: spec.credentialsRef or the manager's default.
func credentialsRef(spec v1.ManagedSpec) v1.SecretKeySelector {
	name := "hookstream-credentials"
	if spec.CredentialsRef != nil {
		name = spec.CredentialsRef.Name
	}
	return v1.SecretKeySelector{Name: name, Key: v1.CredentialsKey}
}

// secretRefs lists the Secret keys an object reads: its credentials, and every SecretKeySelector its spec sets,
// found by walking the spec, so that a new field is covered without a change here.
func secretRefs(obj managed.Object, spec any) []v1.SecretKeySelector {
	refs := []v1.SecretKeySelector{credentialsRef(*obj.GetManagedSpec())}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			if sel, ok := reflect.TypeAssert[v1.SecretKeySelector](v); ok {
				if sel.Name != "" {
					refs = append(refs, sel)
				}
				return
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k))
			}
		}
	}
	walk(reflect.ValueOf(spec))
	return refs
}
