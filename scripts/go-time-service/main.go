// The chapter's time service ("Первые шаги в Kubernetes"), the baseline of
// scripts/bench-server.sh and scripts/bench-pod.sh. The handlers, the JSON
// bodies and the per-request log line are the chapter's, unchanged. Two
// environment variables are added so that the benchmarks can run it beside
// other programs and in the same pod shape as ours; unset, the program
// behaves exactly as the chapter's:
//
//	LISTEN_ADDR  address to listen on (the chapter's is 0.0.0.0:8080);
//	LOG_FILE     also append every log line to this file, as our server's
//	             --log-file does, for a log sidecar to forward (the chapter
//	             logs to stderr only; a scratch image has no shell to
//	             redirect it).
//
// Standard library only, so that Debian's Go builds it offline:
// scripts/go-time-service/build.sh.
package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

type Time struct {
	Time     string `json:"time,omitempty"`
	NanoTime string `json:"nanoTime,omitempty"`
}

func main() {
	if path := os.Getenv("LOG_FILE"); path != "" {
		file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		log.SetOutput(io.MultiWriter(os.Stderr, file))
	}
	addr := os.Getenv("LISTEN_ADDR")
	if addr == "" {
		addr = "0.0.0.0:8080"
	}

	log.Print("Начало работы сервиса time-service")

	http.HandleFunc("/time", serveTime)
	http.HandleFunc("/nanotime", serveNanoTime)
	log.Fatal(http.ListenAndServe(addr, nil))
}

func serveTime(w http.ResponseWriter, r *http.Request) {
	log.Print("Вызов функции serveTime()")
	var serverTime Time
	serverTime.Time = time.Now().String()
	json.NewEncoder(w).Encode(serverTime)
}

func serveNanoTime(w http.ResponseWriter, r *http.Request) {
	log.Print("Вызов функции serveNanoTime()")
	var nanoTime Time
	nanoTime.NanoTime = strconv.FormatInt(time.Now().UnixNano(), 10)
	json.NewEncoder(w).Encode(nanoTime)
}
