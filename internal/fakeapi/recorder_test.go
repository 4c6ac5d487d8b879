package fakeapi

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestRecorder(t *testing.T) {
	rec := NewRecorder(`{"ok":true}`)
	defer rec.Close()
	req, _ := http.NewRequest(http.MethodPost, rec.URL+"/x?y=1", strings.NewReader("payload"))
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"ok":true}` {
		t.Errorf("body %q", body)
	}
	got := rec.Requests()
	if len(got) != 1 || !strings.HasPrefix(got[0], "POST /x?y=1\n") || !strings.Contains(got[0], "Authorization: Bearer secret") || !strings.HasSuffix(got[0], "payload") {
		t.Errorf("requests = %q", got)
	}
}
