package apply

import (
	"fmt"
	"math"

	"go.yaml.in/yaml/v3"
)

// The YAML library parses a document into a node tree in time and memory
// linear in its size; it is turning that tree into Go values that a hostile
// document can make costly, so this file does it, within the lab's limits:
//
//   - yaml.v3's decoder checks for duplicate keys by comparing every key of
//     a mapping with every other: 80,000 keys take half a minute. Here a Go
//     map finds them, in linear time, and Keys bounds a mapping anyway.
//   - yaml.v3 has no setting for alias expansion: its only guard is a
//     built-in ratio of alias-made to plain values ("document contains
//     excessive aliasing"), which still lets a 1 MiB file expand to about a
//     million values, and its node tree shares an aliased value, so nothing
//     before decoding can see how far it expands. Here every anchored
//     value is converted once and shared, its expanded size (values, bytes,
//     depth) is computed with it, and each alias charges that size to the
//     submission's Aliases and byte budgets before anything is expanded
//     (the JSON encoding that follows is what expands shared values).
//     Sizes saturate, so a billion laughs is refused at its first alias
//     over the budget, in time linear in the file.
//   - the parser refuses nesting deeper than 10,000 levels; Depth is
//     checked here, aliases included.
//
// Scalars are resolved by yaml.v3 itself (a !!str needs nothing; others are
// decoded one node at a time), so values mean what they meant before.

// docError is a problem at a line of the file.
type docError struct {
	line int
	msg  string
}

func (e *docError) Error() string { return e.msg }

func errAt(n *yaml.Node, format string, a ...any) *docError {
	return &docError{line: n.Line, msg: fmt.Sprintf(format, a...)}
}

// value is a node turned into Go values, with its expanded size.
type value struct {
	v      any
	nodes  int64 // values it stands for, aliases expanded
	bytes  int64 // bytes of its keys and scalars, aliases expanded, plus one a value
	height int   // nesting levels, 1 for a scalar
	done   bool  // false while an anchored value is being converted
}

// budget is what a submission may still take: shared by every file.
type budget struct {
	aliases    int64 // values aliases have added so far
	fileExtra  int64 // bytes aliases have added to the current file
	totalBytes int64 // bytes read and added by aliases so far
}

// converter turns one file's documents into values.
type converter struct {
	r     *reader
	size  int64                 // the file's size in bytes
	memo  map[*yaml.Node]*value // anchored nodes, once converted
	steps int
}

const saturated = math.MaxInt64 / 4

func satAdd(a, b int64) int64 {
	if a > saturated-b {
		return saturated
	}
	return a + b
}

// convert turns n, at nesting level depth (1 at a document's top), into
// Go values as yaml.v3 would decode it into an any, with string keys.
func (c *converter) convert(n *yaml.Node, depth int) (*value, error) {
	lim := &c.r.lim
	if depth > lim.Depth {
		return nil, errAt(n, "nested deeper than %d levels (spec.submission.limits.depth)", lim.Depth)
	}
	if c.steps++; c.steps%1024 == 0 {
		if err := c.r.ctx.Err(); err != nil {
			return nil, errAt(n, "%s", c.r.timeoutMsg())
		}
	}
	if n.Kind == yaml.AliasNode {
		return c.alias(n, depth)
	}
	if n.Anchor != "" {
		if m, ok := c.memo[n]; ok {
			if !m.done {
				return nil, errAt(n, "anchor &%s holds an alias to itself", escape(n.Anchor, excerptRunes))
			}
			return m, nil
		}
		m := &value{}
		c.memo[n] = m
		v, err := c.plain(n, depth)
		if err != nil {
			return nil, err
		}
		*m = *v
		m.done = true
		return m, nil
	}
	return c.plain(n, depth)
}

// alias charges what n stands for to the budgets and returns it, shared.
func (c *converter) alias(n *yaml.Node, depth int) (*value, error) {
	lim := &c.r.lim
	if n.Alias == nil {
		return nil, errAt(n, "unknown anchor %s", excerpt(n.Value))
	}
	t, err := c.convert(n.Alias, depth)
	if err != nil {
		return nil, err
	}
	if depth+t.height-1 > lim.Depth {
		return nil, errAt(n, "alias *%s nests deeper than %d levels (spec.submission.limits.depth)", escape(n.Value, excerptRunes), lim.Depth)
	}
	b := &c.r.budget
	b.aliases = satAdd(b.aliases, t.nodes)
	if b.aliases > lim.Aliases {
		return nil, errAt(n, "YAML aliases expand to more than %d values in the submission (spec.submission.limits.aliases)", lim.Aliases)
	}
	b.fileExtra = satAdd(b.fileExtra, t.bytes)
	if satAdd(c.size, b.fileExtra) > lim.FileBytes {
		return nil, errAt(n, "with its aliases expanded the file holds more than %d bytes (spec.submission.limits.fileBytes)", lim.FileBytes)
	}
	b.totalBytes = satAdd(b.totalBytes, t.bytes)
	if b.totalBytes > lim.TotalBytes {
		return nil, errAt(n, "with aliases expanded the submission holds more than %d bytes (spec.submission.limits.totalBytes)", lim.TotalBytes)
	}
	return t, nil
}

// plain converts a scalar, list or mapping.
func (c *converter) plain(n *yaml.Node, depth int) (*value, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return c.scalar(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		sz := &value{nodes: 1, bytes: 1, height: 1}
		for _, item := range n.Content {
			v, err := c.convert(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v.v)
			sz.add(v)
		}
		sz.v = out
		return sz, nil
	case yaml.MappingNode:
		return c.mapping(n, depth)
	case yaml.DocumentNode:
		return nil, errAt(n, "a document inside a document")
	}
	return nil, errAt(n, "a value of unknown kind")
}

func (sz *value) add(v *value) {
	sz.nodes = satAdd(sz.nodes, v.nodes)
	sz.bytes = satAdd(sz.bytes, v.bytes)
	sz.height = max(sz.height, v.height+1)
}

func (c *converter) scalar(n *yaml.Node) (*value, error) {
	out := &value{nodes: 1, bytes: int64(len(n.Value)) + 1, height: 1}
	switch tag := n.ShortTag(); {
	case tag == "!!str": // quoted, or plain text yaml.v3 resolves as a string
		out.v = n.Value
	case tag == "!!null" && n.Style&yaml.TaggedStyle == 0: // null, ~ or nothing
	default:
		// ints, floats, bools, !!binary, timestamps, custom tags: as
		// yaml.v3 reads them. One scalar node costs time linear in its
		// size; nothing here can expand.
		var v any
		if err := n.Decode(&v); err != nil {
			// yaml.v3's message quotes the value whole
			return nil, errAt(n, "the value %s cannot be read as %s", excerpt(n.Value), escape(tag, excerptRunes))
		}
		out.v = v
	}
	return out, nil
}

// mapping converts a mapping with string keys. A key given twice is an
// error, as with yaml.v3; merge keys (<<: *base) work as in yaml.v3: the
// mapping's own keys win, then the merged mappings in their order.
func (c *converter) mapping(n *yaml.Node, depth int) (*value, error) {
	lim := &c.r.lim
	pairs := len(n.Content) / 2
	if pairs > lim.Keys {
		return nil, errAt(n, "a mapping with %d keys, more than %d (spec.submission.limits.keys)", pairs, lim.Keys)
	}
	out := make(map[string]any, pairs)
	first := make(map[string]int, pairs) // key -> line
	sz := &value{nodes: 1, bytes: 1, height: 1}
	var merge *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		key := kn
		if key.Kind == yaml.AliasNode && key.Alias != nil {
			key = key.Alias
		}
		if key.Kind != yaml.ScalarNode {
			return nil, errAt(kn, "a mapping key must be a string, not a %s", kindName(key))
		}
		if key.Value == "<<" && key.ShortTag() == "!!merge" {
			if merge != nil {
				return nil, errAt(kn, "a second merge key << in one mapping")
			}
			merge = vn
			continue
		}
		if tag := key.ShortTag(); tag != "!!str" {
			return nil, errAt(kn, "the key %s is not a string (%s); quote it", excerpt(key.Value), escape(tag, excerptRunes))
		}
		if l, dup := first[key.Value]; dup {
			return nil, errAt(kn, "the key %s appears twice in a mapping (first on line %d)", excerpt(key.Value), l)
		}
		first[key.Value] = kn.Line
		v, err := c.convert(vn, depth+1)
		if err != nil {
			return nil, err
		}
		out[key.Value] = v.v
		sz.add(v)
		sz.bytes = satAdd(sz.bytes, int64(len(key.Value))+1)
	}
	if merge != nil {
		if err := c.merge(n, merge, depth, out, sz); err != nil {
			return nil, err
		}
		if len(out) > lim.Keys {
			return nil, errAt(n, "a mapping with %d keys once merged, more than %d (spec.submission.limits.keys)", len(out), lim.Keys)
		}
	}
	sz.v = out
	return sz, nil
}

// merge adds the keys of the mappings that m (a merge key's value) names
// and out lacks. Whatever an alias among them stands for is charged as any
// alias is, so merging costs no more than the budgets allow.
func (c *converter) merge(parent, m *yaml.Node, depth int, out map[string]any, sz *value) error {
	sources := []*yaml.Node{m}
	if m.Kind == yaml.SequenceNode {
		sources = m.Content
	}
	for _, s := range sources {
		target := s
		if s.Kind == yaml.AliasNode && s.Alias != nil {
			target = s.Alias
		}
		if target.Kind != yaml.MappingNode {
			return errAt(s, "a merge key << needs a mapping or a list of mappings")
		}
		// the merged mapping's keys sit at parent's level
		v, err := c.convert(s, depth)
		if err != nil {
			return err
		}
		src, ok := v.v.(map[string]any)
		if !ok {
			return errAt(s, "a merge key << needs a mapping or a list of mappings")
		}
		for k, val := range src {
			if _, ok := out[k]; !ok {
				out[k] = val
			}
		}
		// an upper bound: keys the mapping has itself are not taken
		sz.nodes = satAdd(sz.nodes, v.nodes)
		sz.bytes = satAdd(sz.bytes, v.bytes)
		sz.height = max(sz.height, v.height)
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}
