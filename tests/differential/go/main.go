// Differential-test app: Go's net/http, r.Cookie("app_sid") and
// r.Header.Get. `app PORT`; built by the test with the standard library
// only. See ../README.md.
package main

import (
	"encoding/json"
	"net/http"
	"os"
)

var tokens = map[string]map[string]string{
	"tok-free":   {"account": "free@x", "company": "free", "class": "employee"},
	"tok-strict": {"account": "strict@x", "company": "strict", "class": "employee"},
}

func header(r *http.Request, name string) *string {
	if values, ok := r.Header[http.CanonicalHeaderKey(name)]; ok && len(values) > 0 {
		v := r.Header.Get(name)
		return &v
	}
	return nil
}

func handle(w http.ResponseWriter, r *http.Request) {
	var session *string
	if c, err := r.Cookie("app_sid"); err == nil {
		session = &c.Value
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/whoami" {
		if session != nil {
			if id, ok := tokens[*session]; ok {
				_ = json.NewEncoder(w).Encode(id)
				return
			}
		}
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("{}"))
		return
	}
	w.Header().Set("X-Diff-App", "go")
	_ = json.NewEncoder(w).Encode(map[string]*string{
		"session":     session,
		"mfa_status":  header(r, "X-Mfa-Status"),
		"mfa_account": header(r, "X-Mfa-Account"),
		"auth_user":   header(r, "X-Auth-User"),
	})
}

func main() {
	_ = http.ListenAndServe("127.0.0.1:"+os.Args[1], http.HandlerFunc(handle))
}
