// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	jsonata "github.com/blues/jsonata-go"
	"github.com/blues/jsonata-go/jparse"
)

const (
	// transformTimeout bounds one evaluation. An evaluation that runs longer is abandoned (its goroutine
	// finishes on its own) and the delivery fails.
	transformTimeout = 2 * time.Second
	// maxTransformDepth bounds how deeply the functions an expression defines may call each other. jsonata-go
	// has no limit of its own, and endless recursion would overflow the goroutine stack, which kills the
	// process.
	maxTransformDepth = 1000
)

// Names of the functions the depth guard adds to every function an expression defines.
const (
	guardEnter  = "__hookstream_enter"
	guardLeave  = "__hookstream_leave"
	guardResult = "__hookstream_result"
)

// transformBody applies a connection's JSONata expression to an event body: the parsed JSON body goes in,
// and a JSON object must come out; it is what the destination receives. The error says why not.
func transformBody(expression string, body []byte) ([]byte, error) {
	var input any
	if err := json.Unmarshal(body, &input); err != nil {
		return nil, errors.New("the body is not JSON")
	}
	expr, err := compileTransform(expression)
	if err != nil {
		return nil, err
	}
	type outcome struct {
		value any
		err   error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{err: fmt.Errorf("%v", r)}
			}
		}()
		value, err := expr.Eval(input)
		done <- outcome{value, err}
	}()
	timer := time.NewTimer(transformTimeout)
	defer timer.Stop()
	var out outcome
	select {
	case out = <-done:
	case <-timer.C:
		return nil, fmt.Errorf("the expression ran longer than %s", transformTimeout)
	}
	switch {
	case errors.Is(out.err, jsonata.ErrUndefined):
		return nil, errors.New("the expression returned nothing, not an object")
	case out.err != nil:
		return nil, out.err
	}
	object, ok := out.value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the expression returned %s, not an object", jsonTypeOf(out.value))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(object); err != nil {
		return nil, fmt.Errorf("the result is not JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// jsonTypeOf names the JSON type of a value JSONata returned.
func jsonTypeOf(value any) string {
	switch value.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int, int64, json.Number:
		return "a number"
	case []any:
		return "an array"
	}
	if reflect.ValueOf(value).Kind() == reflect.Slice {
		return "an array"
	}
	return "a function"
}

// compileTransform compiles an expression for one evaluation. Every function the expression defines first
// counts how deeply such functions are nested, and fails the evaluation past maxTransformDepth: the body B
// of each function becomes ($enter(); $result := B; $leave(); $result), written back as text because
// jsonata-go compiles text only. If the text does not parse back to the same tree, the expression runs as
// written, unguarded.
func compileTransform(expression string) (*jsonata.Expr, error) {
	tree, err := jparse.Parse(expression)
	if err != nil {
		return nil, err
	}
	if !guardFunctions(tree) {
		return jsonata.Compile(expression)
	}
	guarded := tree.String()
	if again, err := jparse.Parse(guarded); err != nil || !reflect.DeepEqual(again, tree) {
		return jsonata.Compile(expression)
	}
	expr, err := jsonata.Compile(guarded)
	if err != nil {
		return jsonata.Compile(expression)
	}
	depth := 0
	err = expr.RegisterExts(map[string]jsonata.Extension{
		guardEnter: {Func: func() (bool, error) {
			depth++
			if depth > maxTransformDepth {
				return false, fmt.Errorf("functions nested deeper than %d calls", maxTransformDepth)
			}
			return true, nil
		}},
		guardLeave: {Func: func() bool {
			depth--
			return true
		}},
	})
	return expr, err
}

// guardFunctions wraps the body of every function defined in tree with the depth guard, and reports
// whether there was one.
func guardFunctions(node jparse.Node) bool {
	found := false
	for _, child := range childNodes(node) {
		if guardFunctions(*child) {
			found = true
		}
	}
	var lambda *jparse.LambdaNode
	switch n := node.(type) {
	case *jparse.LambdaNode:
		lambda = n
	case *jparse.TypedLambdaNode:
		lambda = n.LambdaNode
	}
	if lambda == nil {
		return found
	}
	call := func(name string) jparse.Node { return &jparse.FunctionCallNode{Func: &jparse.VariableNode{Name: name}} }
	lambda.Body = &jparse.BlockNode{Exprs: []jparse.Node{
		call(guardEnter),
		&jparse.AssignmentNode{Name: guardResult, Value: lambda.Body},
		call(guardLeave),
		&jparse.VariableNode{Name: guardResult},
	}}
	return true
}

// childNodes returns pointers to the sub-expressions of a parsed node, so that they can be replaced.
func childNodes(node jparse.Node) []*jparse.Node {
	var children []*jparse.Node
	add := func(nodes ...*jparse.Node) {
		for _, n := range nodes {
			if *n != nil {
				children = append(children, n)
			}
		}
	}
	addAll := func(nodes []jparse.Node) {
		for i := range nodes {
			add(&nodes[i])
		}
	}
	addPairs := func(pairs [][2]jparse.Node) {
		for i := range pairs {
			add(&pairs[i][0], &pairs[i][1])
		}
	}
	switch n := node.(type) {
	case *jparse.PathNode:
		addAll(n.Steps)
	case *jparse.NegationNode:
		add(&n.RHS)
	case *jparse.RangeNode:
		add(&n.LHS, &n.RHS)
	case *jparse.ArrayNode:
		addAll(n.Items)
	case *jparse.ObjectNode:
		addPairs(n.Pairs)
	case *jparse.BlockNode:
		addAll(n.Exprs)
	case *jparse.ObjectTransformationNode:
		add(&n.Pattern, &n.Updates, &n.Deletes)
	case *jparse.LambdaNode:
		add(&n.Body)
	case *jparse.TypedLambdaNode:
		add(&n.Body)
	case *jparse.PartialNode:
		add(&n.Func)
		addAll(n.Args)
	case *jparse.FunctionCallNode:
		add(&n.Func)
		addAll(n.Args)
	case *jparse.PredicateNode:
		add(&n.Expr)
		addAll(n.Filters)
	case *jparse.GroupNode:
		add(&n.Expr)
		if n.ObjectNode != nil {
			addPairs(n.Pairs)
		}
	case *jparse.ConditionalNode:
		add(&n.If, &n.Then, &n.Else)
	case *jparse.AssignmentNode:
		add(&n.Value)
	case *jparse.NumericOperatorNode:
		add(&n.LHS, &n.RHS)
	case *jparse.ComparisonOperatorNode:
		add(&n.LHS, &n.RHS)
	case *jparse.BooleanOperatorNode:
		add(&n.LHS, &n.RHS)
	case *jparse.StringConcatenationNode:
		add(&n.LHS, &n.RHS)
	case *jparse.SortNode:
		add(&n.Expr)
		for i := range n.Terms {
			add(&n.Terms[i].Expr)
		}
	case *jparse.FunctionApplicationNode:
		add(&n.LHS, &n.RHS)
	}
	return children
}
