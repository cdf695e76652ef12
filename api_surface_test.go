package livepeer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const modulePath = "github.com/livepeer/livepeer-go-gateway"

// TestNoInternalTypesInExportedAPI fails when an exported identifier of a
// public SDK package (function or method signature, struct field, interface
// method, type definition, variable or constant) mentions a type from an
// internal/ package that users cannot name. A type is nameable when a public
// package re-exports it under an alias (livepeer.APIError =
// lperr.APIError); its own exported fields and methods are then checked too.
func TestNoInternalTypesInExportedAPI(t *testing.T) {
	pkgs := loadPublicPackages(t)
	if len(pkgs) < 5 {
		t.Fatalf("found only %d public packages", len(pkgs))
	}
	for _, v := range internalTypeViolations(pkgs) {
		t.Error(v)
	}
}

// loadPublicPackages type-checks every non-internal package of the module
// (examples and bench excluded) from the compiler's export data.
func loadPublicPackages(t *testing.T) []*types.Package {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	list, err := exec.Command(gobin, "list", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var public []string
	for _, p := range strings.Fields(string(list)) {
		if isPublicSDKPackage(p) {
			public = append(public, p)
		}
	}
	cmd := exec.Command(gobin, append([]string{"list", "-export", "-deps", "-json=ImportPath,Export,Standard"}, public...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	exports := map[string]string{}
	var roots []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Export string
			Standard           bool
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if isPublicSDKPackage(p.ImportPath) {
			roots = append(roots, p.ImportPath)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	var pkgs []*types.Package
	for _, path := range roots {
		p, err := imp.Import(path)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func isPublicSDKPackage(path string) bool {
	if path != modulePath && !strings.HasPrefix(path, modulePath+"/") {
		return false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(path, modulePath), "/")
	for _, seg := range strings.Split(rel, "/") {
		if seg == "internal" {
			return false
		}
	}
	return !strings.HasPrefix(rel, "examples") && !strings.HasPrefix(rel, "bench")
}

func isInternal(p *types.Package) bool {
	return p != nil && slices.Contains(strings.Split(p.Path(), "/"), "internal")
}

// internalTypeViolations lists, as "pkg.Name: ... mentions internal type
// X", every exported identifier that exposes an unnamed internal type.
func internalTypeViolations(pkgs []*types.Package) []string {
	// Internal named types re-exported under a public alias are nameable.
	aliased := map[*types.TypeName]bool{}
	for _, p := range pkgs {
		for _, name := range p.Scope().Names() {
			tn, ok := p.Scope().Lookup(name).(*types.TypeName)
			if !ok || !tn.Exported() || !tn.IsAlias() {
				continue
			}
			if n, ok := types.Unalias(tn.Type()).(*types.Named); ok && isInternal(n.Obj().Pkg()) {
				aliased[n.Obj()] = true
			}
		}
	}
	var out []string
	seen := map[types.Type]bool{}
	var walk func(where string, t types.Type)
	report := func(where string, n *types.Named) {
		out = append(out, fmt.Sprintf("%s mentions %s, a type of an internal package that no public package re-exports", where, n.Obj().Pkg().Path()+"."+n.Obj().Name()))
	}
	walk = func(where string, t types.Type) {
		switch t := t.(type) {
		case *types.Alias:
			walk(where, types.Unalias(t))
		case *types.Named:
			if isInternal(t.Obj().Pkg()) && !aliased[t.Obj()] {
				report(where, t)
			}
			for i := 0; i < t.TypeArgs().Len(); i++ {
				walk(where, t.TypeArgs().At(i))
			}
		case *types.Pointer:
			walk(where, t.Elem())
		case *types.Slice:
			walk(where, t.Elem())
		case *types.Array:
			walk(where, t.Elem())
		case *types.Map:
			walk(where, t.Key())
			walk(where, t.Elem())
		case *types.Chan:
			walk(where, t.Elem())
		case *types.Signature:
			for i := 0; i < t.Params().Len(); i++ {
				walk(where, t.Params().At(i).Type())
			}
			for i := 0; i < t.Results().Len(); i++ {
				walk(where, t.Results().At(i).Type())
			}
		case *types.Struct:
			for i := 0; i < t.NumFields(); i++ {
				if f := t.Field(i); f.Exported() || f.Embedded() {
					walk(where+"."+f.Name(), f.Type())
				}
			}
		case *types.Interface:
			for i := 0; i < t.NumMethods(); i++ {
				if m := t.Method(i); m.Exported() {
					walk(where+"."+m.Name(), m.Type())
				}
			}
			for i := 0; i < t.NumEmbeddeds(); i++ {
				walk(where, t.EmbeddedType(i))
			}
		case *types.TypeParam:
			walk(where, t.Constraint())
		case *types.Union:
			for i := 0; i < t.Len(); i++ {
				walk(where, t.Term(i).Type())
			}
		}
	}
	// checkNamed walks a named type's definition and exported methods once.
	checkNamed := func(where string, n *types.Named) {
		if seen[n] {
			return
		}
		seen[n] = true
		walk(where, n.Underlying())
		for i := 0; i < n.NumMethods(); i++ {
			if m := n.Method(i); m.Exported() {
				walk(where+"."+m.Name(), m.Type())
			}
		}
	}
	for _, p := range pkgs {
		for _, name := range p.Scope().Names() {
			obj := p.Scope().Lookup(name)
			if !obj.Exported() {
				continue
			}
			where := p.Path() + "." + name
			switch obj := obj.(type) {
			case *types.TypeName:
				if obj.IsAlias() {
					walk(where, obj.Type())
					if n, ok := types.Unalias(obj.Type()).(*types.Named); ok {
						checkNamed(where, n)
					}
					continue
				}
				if n, ok := obj.Type().(*types.Named); ok {
					checkNamed(where, n)
				}
			default:
				walk(where, obj.Type())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
