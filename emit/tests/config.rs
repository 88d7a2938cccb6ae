//! Configuration: the Python client's lookup order and variables give the same transport as
//! openlineage-python 1.52.0 itself builds (asked in a venv), bad configuration fails at start-up
//! naming the file and the key, and secrets never show in errors, `Debug` output or files.

use openlineage_testkit::pyenv;

use std::path::{Path, PathBuf};
use std::process::Command;

use openlineage_emit::{
    BlockingClient, Client, CompositeConfig, Error, FileConfig, HttpConfig, OnInvalid, Secret,
    Sources, TransportConfig,
};
use openlineage_types::{RunEvent, RunEventType, Tier};
use serde_json::Value;

/// A scratch folder with a working directory and a home directory.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("openlineage-emit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("cwd")).expect("test fixture");
        std::fs::create_dir_all(root.join("home/.openlineage")).expect("test fixture");
        Scratch { root }
    }

    fn cwd(&self) -> PathBuf {
        self.root.join("cwd")
    }

    fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::write(&path, text).expect("test fixture");
        path
    }

    fn sources(&self, vars: &[(&str, &str)]) -> Sources {
        Sources {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: Some(self.cwd()),
            home: Some(self.home()),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn resolve(s: &Scratch, vars: &[(&str, &str)]) -> Result<TransportConfig, Error> {
    TransportConfig::from_sources(&s.sources(vars))
}

const DESCRIBE_PY: &str = r#"
import json
from urllib.parse import urljoin
from openlineage.client import OpenLineageClient

def describe(t):
    if t.kind == "http":
        c = t.config
        return {"type": "http", "url": urljoin(t.url, t.endpoint), "timeout": float(t.timeout),
                "verify": bool(t.verify), "compression": str(t.compression) if t.compression else None,
                "bearer": c.auth.get_bearer() is not None, "headers": sorted(c.custom_headers),
                "retry_total": c.retry["total"]}
    if t.kind == "file":
        return {"type": "file", "log_file_path": t.config.log_file_path, "append": bool(t.config.append)}
    if t.kind == "composite":
        items = sorted((dict(describe(x), name=x.name) for x in t.transports), key=lambda d: d["name"])
        return {"type": "composite", "continue_on_failure": t.config.continue_on_failure,
                "continue_on_success": t.config.continue_on_success, "transports": items}
    return {"type": t.kind}

print(json.dumps(describe(OpenLineageClient().transport)))
"#;

fn python_describe(python: &Path, s: &Scratch, vars: &[(&str, &str)]) -> Value {
    let out = Command::new(python)
        .args(["-c", DESCRIBE_PY])
        .env_clear()
        .envs(vars.iter().copied())
        .env("HOME", s.home())
        .current_dir(s.cwd())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python prints JSON")
}

#[test]
fn the_same_files_and_variables_give_the_same_transport_as_the_python_client() {
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../conformance/tests/producers/requirements-python.txt");
    let env = pyenv::ensure(&requirements).unwrap_or_else(|e| panic!("{e}"));
    let http_yml = "transport:\n  type: http\n  url: http://file-host:5000/base/\n  endpoint: events/receive\n  timeout: 2.5\n  compression: gzip\n  auth:\n    type: api_key\n    apiKey: file-key\n  custom_headers:\n    X-One: '1'\n    X-Two: two\n  retry:\n    total: 9\n";
    let file_yml = "transport:\n  type: file\n  log_file_path: /tmp/events.jsonl\n  append: true\n";
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case<'_>> = vec![
        ("nothing configured", vec![], vec![]),
        (
            "OPENLINEAGE_URL and API key",
            vec![],
            vec![("OPENLINEAGE_URL", "http://localhost:5000"), ("OPENLINEAGE_API_KEY", "k")],
        ),
        (
            "OPENLINEAGE_URL with an endpoint",
            vec![],
            vec![("OPENLINEAGE_URL", "http://h:1/x/"), ("OPENLINEAGE_ENDPOINT", "events/receive")],
        ),
        (
            "disabled",
            vec![("cwd/openlineage.yml", http_yml)],
            vec![("OPENLINEAGE_URL", "http://h:1"), ("OPENLINEAGE_DISABLED", "True ")],
        ),
        ("openlineage.yml in the working directory", vec![("cwd/openlineage.yml", http_yml)], vec![]),
        (
            "OPENLINEAGE_CONFIG wins over the working directory",
            vec![("cwd/openlineage.yml", http_yml), ("named.yml", file_yml)],
            vec![("OPENLINEAGE_CONFIG", "../named.yml")],
        ),
        ("$HOME/.openlineage", vec![("home/.openlineage/openlineage.yml", file_yml)], vec![]),
        (
            "the working directory wins over $HOME",
            vec![("home/.openlineage/openlineage.yml", file_yml), ("cwd/openlineage.yml", http_yml)],
            vec![],
        ),
        (
            "OPENLINEAGE__TRANSPORT__ variables",
            vec![],
            vec![
                ("OPENLINEAGE__TRANSPORT__TYPE", "http"),
                ("OPENLINEAGE__TRANSPORT__URL", "http://env-host:8080"),
                ("OPENLINEAGE__TRANSPORT__TIMEOUT", "7"),
                ("OPENLINEAGE__TRANSPORT__COMPRESSION", "gzip"),
                ("OPENLINEAGE__TRANSPORT__AUTH", r#"{"type": "api_key", "apiKey": "k"}"#),
                ("OPENLINEAGE__TRANSPORT__CUSTOM_HEADERS__X_TENANT", "acme"),
            ],
        ),
        (
            "the file wins over variables, which fill in the rest",
            vec![("cwd/openlineage.yml", "transport:\n  type: http\n  url: http://file-host\n")],
            vec![
                ("OPENLINEAGE__TRANSPORT__URL", "http://env-host"),
                ("OPENLINEAGE__TRANSPORT__TIMEOUT", "3"),
            ],
        ),
        (
            "a file transport wins over OPENLINEAGE_URL",
            vec![("cwd/openlineage.yml", file_yml)],
            vec![("OPENLINEAGE_URL", "http://h:1")],
        ),
        (
            "a composite takes OPENLINEAGE_URL as default_http",
            vec![],
            vec![
                ("OPENLINEAGE__TRANSPORT__TYPE", "composite"),
                ("OPENLINEAGE__TRANSPORT__CONTINUE_ON_FAILURE", "false"),
                ("OPENLINEAGE__TRANSPORT__TRANSPORTS__LOCAL__TYPE", "console"),
                ("OPENLINEAGE_URL", "http://h:1"),
                ("OPENLINEAGE_API_KEY", "k"),
            ],
        ),
        (
            "a composite from a file, as a list",
            vec![(
                "cwd/openlineage.yml",
                "transport:\n  type: composite\n  transports:\n    - type: console\n      name: a\n    - type: file\n      name: b\n      log_file_path: /tmp/x\n",
            )],
            vec![],
        ),
    ];
    for (name, files, vars) in cases {
        let s = Scratch::new("compare");
        for (path, text) in &files {
            s.write(path, text);
        }
        let ours = resolve(&s, &vars)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .describe();
        let theirs = python_describe(&env.python, &s, &vars);
        eprintln!("{name}: {ours}");
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn bad_configuration_names_the_file_and_the_key() {
    let s = Scratch::new("bad");
    let path = s.write(
        "cwd/openlineage.yml",
        "transport:\n  type: kafkaa\n  url: http://h\n",
    );
    let err = resolve(&s, &[]).unwrap_err().to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(
        err.contains("transport.type: unknown transport type `kafkaa`"),
        "{err}"
    );

    s.write(
        "cwd/openlineage.yml",
        "transport:\n  type: http\n  url: localhost:5000\n",
    );
    let err = resolve(&s, &[]).unwrap_err().to_string();
    assert!(err.contains("openlineage.yml: transport.url: "), "{err}");

    s.write(
        "cwd/openlineage.yml",
        "transport:\n  type: http\n   url: [\n",
    );
    let err = resolve(&s, &[]).unwrap_err().to_string();
    assert!(err.contains("openlineage.yml: line 3 column"), "{err}");
    assert!(err.contains("not valid YAML"), "{err}");

    s.write(
        "cwd/openlineage.yml",
        "transport:\n  type: http\n  url: http://h\n  timeout: soon\n",
    );
    let err = resolve(&s, &[]).unwrap_err().to_string();
    assert!(
        err.contains("transport.timeout: must be a non-negative number"),
        "{err}"
    );

    s.write(
        "cwd/openlineage.yml",
        "transport:\n  type: composite\n  transports:\n    one:\n      type: file\n",
    );
    let err = resolve(&s, &[]).unwrap_err().to_string();
    assert!(
        err.contains("transport.transports.one.log_file_path: missing"),
        "{err}"
    );

    // A key set by a variable names the variable.
    std::fs::remove_file(s.cwd().join("openlineage.yml")).unwrap();
    let err = resolve(
        &s,
        &[
            ("OPENLINEAGE__TRANSPORT__TYPE", "http"),
            ("OPENLINEAGE__TRANSPORT__URL", "ftp://h"),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("environment variable OPENLINEAGE__TRANSPORT__URL: transport.url:"),
        "{err}"
    );
    let err = resolve(&s, &[("OPENLINEAGE_URL", "not a url")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("OPENLINEAGE_URL"), "{err}");
    let err = resolve(&s, &[("OPENLINEAGE_CONFIG", "/nonexistent/ol.yml")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/nonexistent/ol.yml is not a readable file"),
        "{err}"
    );
}

#[test]
fn the_api_key_and_secret_headers_never_show() {
    const KEY: &str = "sk-SECRET-4242";
    const TOKEN: &str = "tok-SECRET-9191";
    let s = Scratch::new("secrets");
    let events = s.root.join("events.jsonl");
    let yml = format!(
        "transport:\n  type: composite\n  transports:\n    file:\n      type: file\n      log_file_path: {}\n      append: true\n    http:\n      type: http\n      url: http://127.0.0.1:9\n      timeout: 0.2\n      retry:\n        total: 1\n        backoff_factor: 0\n      auth:\n        type: api_key\n        apiKey: {KEY}\n      custom_headers:\n        X-Token: {TOKEN}\n        X-Plain: visible\n        Cookie: session={TOKEN}\n      secret_headers: [x-token]\n",
        events.display()
    );
    s.write("cwd/openlineage.yml", &yml);
    let mut seen = Vec::new();
    let config = resolve(&s, &[("OPENLINEAGE_API_KEY", KEY)]).unwrap();
    seen.push(format!("{config:?}"));
    seen.push(config.describe().to_string());
    seen.push(format!("{:?}", s.sources(&[("OPENLINEAGE_API_KEY", KEY)])));
    let client = BlockingClient::new(Client::from_config(&config).unwrap())
        .unwrap()
        .with_validation(Tier::Facets, OnInvalid::ReportAndSend);
    seen.push(format!("{client:?}"));
    let event = RunEvent::builder("https://example.com/p", "ns", "job")
        .event_type(RunEventType::Start)
        .build();
    // The HTTP half fails (nothing listens on port 9): the error is seen by the user.
    client.emit(&event).unwrap();
    // An HTTP transport alone reports the failure.
    let TransportConfig::Composite(_, children) = &config else {
        panic!("{config:?}")
    };
    let http = children
        .iter()
        .find(|(n, _)| n == "http")
        .unwrap()
        .1
        .clone();
    let err = BlockingClient::new(Client::from_config(&http).unwrap())
        .unwrap()
        .emit(&event)
        .unwrap_err();
    seen.push(err.to_string());
    seen.push(format!("{err:?}"));
    seen.push(format!("{http:?}"));
    assert!(
        seen.iter().any(|s| s.contains("visible")),
        "plain headers do show"
    );
    // Bad values name the key, not the value.
    let mut bad = HttpConfig::new("http://h");
    bad.api_key = Some(Secret::new(format!("{KEY}\n")));
    let err = Client::from_config(&TransportConfig::Http(bad)).unwrap_err();
    seen.push(err.to_string());
    s.write(
        "cwd/openlineage.yml",
        &format!("transport:\n  type: http\n  url: http://h\n  auth:\n    type: jwt\n    apiKey: {KEY}\n"),
    );
    seen.push(resolve(&s, &[]).unwrap_err().to_string());
    seen.push(std::fs::read_to_string(&events).unwrap());
    for text in &seen {
        assert!(
            !text.contains(KEY) && !text.contains(TOKEN),
            "a secret shows in: {text}"
        );
    }
}

#[test]
fn composites_follow_continue_on_failure() {
    let s = Scratch::new("composite");
    let good = s.root.join("good.jsonl");
    let bad = FileConfig {
        log_file_path: s.root.join("missing-dir/x.jsonl"),
        append: true,
    };
    let good = FileConfig {
        log_file_path: good,
        append: true,
    };
    let event = RunEvent::builder("https://example.com/p", "ns", "job")
        .event_type(RunEventType::Start)
        .build();
    let children = vec![
        ("bad".to_string(), TransportConfig::File(bad)),
        ("good".to_string(), TransportConfig::File(good.clone())),
    ];
    let lenient = TransportConfig::Composite(CompositeConfig::default(), children.clone());
    let client = BlockingClient::new(Client::from_config(&lenient).unwrap()).unwrap();
    client.emit(&event).unwrap();
    let strict = TransportConfig::Composite(
        CompositeConfig {
            continue_on_failure: false,
            continue_on_success: true,
        },
        children,
    );
    let client = BlockingClient::new(Client::from_config(&strict).unwrap()).unwrap();
    let err = client.emit(&event).unwrap_err().to_string();
    assert!(err.contains("bad: cannot write"), "{err}");
    let lines = std::fs::read_to_string(&good.log_file_path).unwrap();
    assert_eq!(
        lines.lines().count(),
        1,
        "the strict composite stopped at the failure"
    );
}

#[test]
fn validation_refuses_or_reports_as_configured() {
    let s = Scratch::new("validation");
    let path = s.root.join("events.jsonl");
    let file = TransportConfig::File(FileConfig {
        log_file_path: path.clone(),
        append: true,
    });
    let mut invalid = RunEvent::builder("https://example.com/p", "ns", "job")
        .event_type(RunEventType::Start)
        .build();
    invalid.run.run_id = "not-a-uuid".into();
    let refusing = BlockingClient::new(Client::from_config(&file).unwrap())
        .unwrap()
        .with_validation(Tier::Formats, OnInvalid::Refuse);
    let err = refusing.emit(&invalid).unwrap_err();
    match &err {
        Error::Invalid { violations, .. } => assert_eq!(violations[0].pointer, "/run/runId"),
        other => panic!("{other}"),
    }
    assert!(!path.exists(), "nothing was written");
    let sending = BlockingClient::new(Client::from_config(&file).unwrap())
        .unwrap()
        .with_validation(Tier::Formats, OnInvalid::ReportAndSend);
    sending.emit(&invalid).unwrap();
    let unchecked = BlockingClient::new(Client::from_config(&file).unwrap()).unwrap();
    unchecked.emit(&invalid).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
}

#[test]
fn the_api_key_and_custom_headers_are_sent() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let head = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("a connection");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut chunk).expect("the request");
            buf.extend_from_slice(&chunk[..n]);
        }
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        String::from_utf8_lossy(&buf).to_ascii_lowercase()
    });
    let s = Scratch::new("headers");
    let config = resolve(
        &s,
        &[
            ("OPENLINEAGE__TRANSPORT__TYPE", "http"),
            ("OPENLINEAGE__TRANSPORT__URL", &url),
            (
                "OPENLINEAGE__TRANSPORT__AUTH",
                r#"{"type": "api_key", "apiKey": "k-123"}"#,
            ),
            ("OPENLINEAGE__TRANSPORT__CUSTOM_HEADERS__X_TENANT", "acme"),
        ],
    )
    .expect("a configuration");
    let event = RunEvent::builder("https://example.com/p", "ns", "job")
        .event_type(RunEventType::Start)
        .build();
    BlockingClient::new(Client::from_config(&config).expect("a client"))
        .expect("a blocking client")
        .emit(&event)
        .expect("delivered");
    let head = head.join().expect("the server thread");
    assert!(head.starts_with("post /api/v1/lineage http/1.1"), "{head}");
    assert!(head.contains("authorization: bearer k-123"), "{head}");
    assert!(head.contains("x_tenant: acme"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
}
