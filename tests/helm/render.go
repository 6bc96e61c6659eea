// render.go: `helm template` for CI machines that cannot install helm (no
// release on Debian, no network to get.helm.sh or proxy.golang.org). It
// renders a chart's templates with Go's text/template, as helm does, plus
// the few Sprig and Helm functions deploy/helm/mfa-gate uses, and prints
// the documents separated by `---`, each headed `# Source: CHART/templates/FILE`.
//
//	go run tests/helm/render.go [-name RELEASE] [-namespace NS] [-notes] CHART_DIR VALUES.json
//
// VALUES.json is the whole set of values (values.yaml merged with any
// overrides, as JSON: tests/it/deploy.rs makes it). `-notes` prints the
// rendered templates/NOTES.txt instead of the manifests.
//
// The functions, with helm's meaning: include, default, required, quote,
// indent, nindent, toYaml (JSON, which is YAML: flow style instead of
// helm's block style), b64enc; and text/template's own (printf, eq, ne,
// and, or, not, len, index). A chart that calls anything else fails here
// with "function not defined": keep deploy/helm/mfa-gate within this set.
// Like helm, a missing value prints as nothing (missingkey=zero, then
// "<no value>" removed) and reading a field of a missing map is an error.
//
// Go 1.19, standard library only (Debian's golang-go, installed by
// scripts/test.sh).
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

func main() {
	name := flag.String("name", "mfa-gate", "release name (.Release.Name)")
	namespace := flag.String("namespace", "default", "release namespace (.Release.Namespace)")
	notes := flag.Bool("notes", false, "print templates/NOTES.txt instead of the manifests")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run tests/helm/render.go [-name RELEASE] [-namespace NS] [-notes] CHART_DIR VALUES.json")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	out, err := render(flag.Arg(0), flag.Arg(1), *name, *namespace, *notes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(out)
}

// render returns the manifests (or NOTES.txt) of the chart in dir.
func render(dir, valuesPath, name, namespace string, notes bool) (string, error) {
	chart, err := readChart(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	values, err := readValues(valuesPath)
	if err != nil {
		return "", err
	}
	root := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name":      name,
			"Namespace": namespace,
			"Service":   "Helm",
			"IsInstall": true,
			"IsUpgrade": false,
		},
		"Chart": chart,
	}
	set, files, err := parseTemplates(filepath.Join(dir, "templates"))
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, file := range files {
		base := filepath.Base(file)
		isNotes := base == "NOTES.txt"
		if isNotes != notes || strings.HasPrefix(base, "_") {
			continue
		}
		if !isNotes && !strings.HasSuffix(base, ".yaml") && !strings.HasSuffix(base, ".yml") {
			continue
		}
		var doc bytes.Buffer
		if err := set.ExecuteTemplate(&doc, file, root); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(doc.String(), "<no value>", "")
		if strings.TrimSpace(text) == "" {
			continue // a template whose condition is off, as helm skips it
		}
		if !isNotes {
			fmt.Fprintf(&out, "---\n# Source: %s/templates/%s\n", chart["Name"], file)
		}
		out.WriteString(strings.TrimRight(text, "\n"))
		out.WriteString("\n")
	}
	return out.String(), nil
}

// parseTemplates reads every file under dir into one template set (so
// that `define`s in _helpers.tpl are seen by all), named by its path
// relative to dir; the names, sorted.
func parseTemplates(dir string) (*template.Template, []string, error) {
	set := template.New("chart").Option("missingkey=zero")
	set.Funcs(functions(set))
	var files []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := set.New(filepath.ToSlash(rel)).Parse(string(text)); err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(files)
	return set, files, err
}

// functions are the Sprig and Helm functions the chart may use.
func functions(set *template.Template) template.FuncMap {
	return template.FuncMap{
		"include": func(name string, data interface{}) (string, error) {
			var b bytes.Buffer
			err := set.ExecuteTemplate(&b, name, data)
			return strings.ReplaceAll(b.String(), "<no value>", ""), err
		},
		"default": func(fallback interface{}, given ...interface{}) interface{} {
			if len(given) == 0 || empty(given[0]) {
				return fallback
			}
			return given[0]
		},
		"required": func(message string, value interface{}) (interface{}, error) {
			if value == nil {
				return nil, errors.New(message)
			}
			if s, ok := value.(string); ok && s == "" {
				return nil, errors.New(message)
			}
			return value, nil
		},
		"quote": func(args ...interface{}) string {
			quoted := make([]string, 0, len(args))
			for _, a := range args {
				if a != nil {
					quoted = append(quoted, strconv.Quote(fmt.Sprint(a)))
				}
			}
			return strings.Join(quoted, " ")
		},
		"indent":  indent,
		"nindent": func(n int, s string) string { return "\n" + indent(n, s) },
		"toYaml":  toYaml,
		"b64enc":  func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
	}
}

func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// toYaml writes v as JSON on one line (JSON is YAML), as helm's toYaml
// writes it as block YAML: both sit correctly after `key:` and nindent.
func toYaml(v interface{}) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// empty is Sprig's notion of an empty value (what `default` replaces).
func empty(v interface{}) bool {
	if v == nil {
		return true
	}
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		return err == nil && f == 0
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		return r.Len() == 0
	case reflect.Bool:
		return !r.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int() == 0
	case reflect.Float32, reflect.Float64:
		return r.Float() == 0
	case reflect.Ptr, reflect.Interface:
		return r.IsNil()
	}
	return false
}

// readValues reads the values: one JSON object (numbers kept as written).
func readValues(path string) (map[string]interface{}, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var values map[string]interface{}
	if err := dec.Decode(&values); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return values, nil
}

// readChart reads the top-level scalars of Chart.yaml (`key: value`
// lines; the standard library has no YAML) as helm names them: name ->
// .Chart.Name, appVersion -> .Chart.AppVersion.
func readChart(path string) (map[string]interface{}, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	chart := map[string]interface{}{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" || line[0] == ' ' || line[0] == '#' || line[0] == '-' {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if i := strings.Index(value, " #"); i >= 0 {
			value = value[:i]
		}
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		if key == "apiVersion" {
			key = "APIVersion"
		}
		chart[strings.ToUpper(key[:1])+key[1:]] = value
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	for _, key := range []string{"APIVersion", "Name", "Version"} {
		if chart[key] == nil || chart[key] == "" {
			return nil, fmt.Errorf("%s: no %s", path, key)
		}
	}
	return chart, nil
}
