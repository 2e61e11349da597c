// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// PanelQuery is one Prometheus query of a Grafana dashboard panel.
type PanelQuery struct {
	Panel string
	Expr  string
}

// grafanaPanel is the part of a Grafana panel that holds queries; rows may nest panels.
type grafanaPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

// DashboardQueries reads every panel query of a Grafana dashboard JSON file.
func DashboardQueries(path string) ([]PanelQuery, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var dash struct {
		Panels []grafanaPanel `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []PanelQuery
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				out = append(out, PanelQuery{Panel: p.Title, Expr: t.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	return out, nil
}

// grafanaMacros are the variables Grafana replaces in a query before sending it, with a value of their kind.
var grafanaMacros = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h")

// QueryMetricNames parses a panel query with Prometheus's parser, after Grafana's interval macros are replaced as
// Grafana would, and returns the metric names its selectors read.
func QueryMetricNames(query string) ([]string, error) {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(grafanaMacros.Replace(query))
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
		return nil
	})
	return names, nil
}
