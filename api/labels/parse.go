package labels

import (
	"fmt"
	"strings"
)

type tokenKind int

const (
	tokEnd tokenKind = iota
	tokIdent
	tokNot        // !
	tokNotEquals  // !=
	tokEquals     // =
	tokDoubleEq   // ==
	tokComma      // ,
	tokOpenParen  // (
	tokCloseParen // )
	tokGreater    // >
	tokLess       // <
)

type token struct {
	kind tokenKind
	text string
	pos  int // byte offset in the input
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isSpecial(c byte) bool {
	switch c {
	case '!', '=', ',', '(', ')', '>', '<':
		return true
	}
	return false
}

// lex splits s into tokens. Identifiers run until a space or one of
// "!=,()<>"; "in" and "notin" are identifiers the parser reads as keywords
// where an operator is expected.
func lex(s string) []token {
	var toks []token
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return append(toks, token{kind: tokEnd, pos: i})
		}
		start := i
		c := s[i]
		two := ""
		if i+1 < len(s) {
			two = s[i : i+2]
		}
		switch {
		case two == "!=":
			toks = append(toks, token{tokNotEquals, two, start})
			i += 2
		case two == "==":
			toks = append(toks, token{tokDoubleEq, two, start})
			i += 2
		case c == '!':
			toks = append(toks, token{tokNot, "!", start})
			i++
		case c == '=':
			toks = append(toks, token{tokEquals, "=", start})
			i++
		case c == ',':
			toks = append(toks, token{tokComma, ",", start})
			i++
		case c == '(':
			toks = append(toks, token{tokOpenParen, "(", start})
			i++
		case c == ')':
			toks = append(toks, token{tokCloseParen, ")", start})
			i++
		case c == '>':
			toks = append(toks, token{tokGreater, ">", start})
			i++
		case c == '<':
			toks = append(toks, token{tokLess, "<", start})
			i++
		default:
			for i < len(s) && !isSpace(s[i]) && !isSpecial(s[i]) {
				i++
			}
			toks = append(toks, token{tokIdent, s[start:i], start})
		}
	}
}

type parser struct {
	in   string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEnd {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	found := t.text
	if t.kind == tokEnd {
		found = "end of input"
	} else {
		found = fmt.Sprintf("%q", found)
	}
	return fmt.Errorf("%w %q: at offset %d: found %s, %s", ErrInvalidSelector, p.in, t.pos, found, fmt.Sprintf(format, args...))
}

// Parse reads a selector in the Kubernetes syntax: comma-separated
// requirements, each one of
//
//	key            the label exists
//	!key           the label does not exist
//	key=value      also key==value; key!=value
//	key in (v1,v2) also notin; "()" stands for the empty value
//	key>n, key<n   integer comparison
//
// Spaces around tokens are ignored. An empty string selects everything.
// Errors wrap ErrInvalidSelector and name the offset of the bad token.
func Parse(s string) (Selector, error) {
	p := &parser{in: s, toks: lex(s)}
	var sel requirementSelector
	if p.peek().kind == tokEnd {
		return sel, nil
	}
	for {
		r, err := p.requirement()
		if err != nil {
			return nil, err
		}
		sel = append(sel, *r)
		t := p.next()
		switch t.kind {
		case tokEnd:
			sel.sort()
			return sel, nil
		case tokComma:
		default:
			return nil, p.errorf(t, "expected ',' or end of input")
		}
	}
}

func (p *parser) requirement() (*Requirement, error) {
	negated := false
	if p.peek().kind == tokNot {
		negated = true
		p.next()
	}
	keyTok := p.next()
	if keyTok.kind != tokIdent {
		if negated {
			return nil, p.errorf(keyTok, "expected a label key after '!'")
		}
		return nil, p.errorf(keyTok, "expected a label key")
	}
	key := keyTok.text
	if k := p.peek().kind; k == tokEnd || k == tokComma {
		op := Exists
		if negated {
			op = DoesNotExist
		}
		return p.build(keyTok, key, op, nil)
	}
	if negated {
		return nil, p.errorf(p.peek(), "expected ',' or end of input after '!%s'", key)
	}
	opTok := p.next()
	var op Operator
	switch opTok.kind {
	case tokEquals:
		op = Equals
	case tokDoubleEq:
		op = DoubleEquals
	case tokNotEquals:
		op = NotEquals
	case tokGreater:
		op = GreaterThan
	case tokLess:
		op = LessThan
	case tokIdent:
		switch opTok.text {
		case "in":
			op = In
		case "notin":
			op = NotIn
		}
	}
	if op == "" {
		return nil, p.errorf(opTok, "expected one of '=', '==', '!=', 'in', 'notin', '>', '<'")
	}
	if op == In || op == NotIn {
		values, err := p.valueSet()
		if err != nil {
			return nil, err
		}
		return p.build(keyTok, key, op, values)
	}
	// An exact value may be empty: "a=" and "a=,b" ask for the empty value.
	if k := p.peek().kind; k == tokEnd || k == tokComma {
		return p.build(keyTok, key, op, []string{""})
	}
	v := p.next()
	if v.kind != tokIdent {
		return nil, p.errorf(v, "expected a value")
	}
	return p.build(keyTok, key, op, []string{v.text})
}

// valueSet reads "(v1, v2, ...)"; "()" is the set holding "".
func (p *parser) valueSet() ([]string, error) {
	if t := p.next(); t.kind != tokOpenParen {
		return nil, p.errorf(t, "expected '('")
	}
	var values []string
	expectValue := true
	for {
		t := p.next()
		switch {
		case t.kind == tokCloseParen:
			if expectValue {
				values = append(values, "") // "()" and "(a,)" include the empty value
			}
			return values, nil
		case t.kind == tokComma:
			if expectValue {
				values = append(values, "") // "(,a)" too
			}
			expectValue = true
		case t.kind == tokIdent && expectValue:
			values = append(values, t.text)
			expectValue = false
		default:
			return nil, p.errorf(t, "expected a value, ',' or ')'")
		}
	}
}

func (p *parser) build(keyTok token, key string, op Operator, values []string) (*Requirement, error) {
	r, err := NewRequirement(key, op, values)
	if err != nil {
		return nil, fmt.Errorf("%w %q: at offset %d: %s", ErrInvalidSelector, p.in, keyTok.pos,
			strings.TrimPrefix(err.Error(), ErrInvalidSelector.Error()+": "))
	}
	return r, nil
}
