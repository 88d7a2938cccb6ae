//! Configuration as the Python client reads it: `openlineage.yml` (from `OPENLINEAGE_CONFIG`,
//! the working directory or `$HOME/.openlineage/`), `OPENLINEAGE__TRANSPORT__...` variables,
//! and `OPENLINEAGE_URL`, `OPENLINEAGE_ENDPOINT`, `OPENLINEAGE_API_KEY`, `OPENLINEAGE_DISABLED`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::transport::composite::{CompositeConfig, CompositeTransport};
use crate::transport::console::{ConsoleConfig, ConsoleStream, ConsoleTransport};
use crate::transport::file::{FileConfig, FileTransport};
use crate::transport::http::{Compression, HttpConfig, HttpTransport, RetryConfig};
use crate::transport::{NoopTransport, Transport};
use crate::{Error, Secret};

/// Where configuration comes from: environment variables, the working directory and the home
/// directory. [`Sources::from_process`] takes the process's own; tests build their own.
#[derive(Clone, Default)]
pub struct Sources {
    /// Environment variables.
    pub vars: BTreeMap<String, String>,
    /// The working directory, searched for `openlineage.yml`.
    pub cwd: Option<PathBuf>,
    /// The home directory, searched for `.openlineage/openlineage.yml`.
    pub home: Option<PathBuf>,
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Variable values can hold the API key: only the names are shown.
        f.debug_struct("Sources")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("cwd", &self.cwd)
            .field("home", &self.home)
            .finish()
    }
}

impl Sources {
    /// The process's environment, working directory and `$HOME`.
    pub fn from_process() -> Self {
        Sources {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            cwd: std::env::current_dir().ok(),
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// A transport, as configured. [`TransportConfig::build`] makes it.
#[derive(Debug, Clone, PartialEq)]
pub enum TransportConfig {
    /// `type: http`.
    Http(HttpConfig),
    /// `type: file`.
    File(FileConfig),
    /// `type: console`, and what is used when nothing is configured.
    Console(ConsoleConfig),
    /// `type: composite`: named transports, in order.
    Composite(CompositeConfig, Vec<(String, TransportConfig)>),
    /// `type: noop`, and what `OPENLINEAGE_DISABLED=true` gives.
    Noop,
}

const PREFIX: &str = "OPENLINEAGE__";
const DEFAULT_HTTP: &str = "DEFAULT_HTTP";
const KNOWN: &str = "http, file, console, composite and noop";

/// What the configuration was read from, to name a key's source in errors.
struct Origins {
    file: Option<(PathBuf, Value)>,
    /// Each `OPENLINEAGE__` variable and the key path it sets.
    env: Vec<(Vec<String>, String)>,
}

impl Origins {
    fn error(&self, path: &[String], message: impl Into<String>) -> Error {
        let key = path.join(".");
        let in_file = self
            .file
            .as_ref()
            .filter(|(_, v)| path.iter().try_fold(v, |v, k| v.get(k.as_str())).is_some());
        let source = match in_file {
            Some((file, _)) => file.display().to_string(),
            None => self
                .env
                .iter()
                .find(|(p, _)| p.starts_with(path) || path.starts_with(p))
                .map(|(_, var)| format!("environment variable {var}"))
                .or_else(|| self.file.as_ref().map(|(f, _)| f.display().to_string()))
                .unwrap_or_else(|| "configuration".into()),
        };
        Error::config(source, key, message)
    }
}

impl TransportConfig {
    /// The transport the process's configuration asks for.
    pub fn from_environment() -> Result<Self, Error> {
        Self::from_sources(&Sources::from_process())
    }

    /// The transport `sources` ask for, by the Python client's rules, in order: `OPENLINEAGE_DISABLED=true`
    /// gives noop; a `transport` with a `type` in `openlineage.yml` merged over the
    /// `OPENLINEAGE__` variables; `OPENLINEAGE_URL` (with `OPENLINEAGE_ENDPOINT` and
    /// `OPENLINEAGE_API_KEY`); else the console.
    ///
    /// A YAML error, an unknown transport type or a malformed value is an error naming the
    /// file (or variable) and the key. Unlike the Python client, a file `OPENLINEAGE_CONFIG`
    /// names that does not exist is an error too, rather than silently skipped.
    pub fn from_sources(sources: &Sources) -> Result<Self, Error> {
        if sources
            .var("OPENLINEAGE_DISABLED")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        {
            return Ok(TransportConfig::Noop);
        }
        let vars = aliased(sources);
        let file = match find_config_file(sources)? {
            Some(path) => {
                let value = read_yaml(&path)?;
                Some((path, value))
            }
            None => None,
        };
        let mut env = Vec::new();
        let mut from_env = Value::Object(Map::new());
        // Reverse order, as the Python client, so a top-level key set twice keeps the first.
        for (name, text) in vars.iter().rev() {
            let Some(rest) = name.strip_prefix(PREFIX) else {
                continue;
            };
            let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
            let value = serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()));
            insert(&mut from_env, &path, value);
            env.push((path, name.clone()));
        }
        let merged = match &file {
            Some((_, v)) => merge(from_env, v.clone()),
            None => from_env,
        };
        let origins = Origins { file, env };
        let transport = merged.get("transport");
        if let Some(t) = transport.filter(|t| t.get("type").is_some_and(|ty| !ty.is_null())) {
            return parse(t, &["transport".to_string()], &origins);
        }
        if let Some(url) = sources.var("OPENLINEAGE_URL") {
            let mut http = HttpConfig::new(url);
            if let Some(endpoint) = sources.var("OPENLINEAGE_ENDPOINT") {
                http.endpoint = endpoint.to_string();
            }
            http.api_key = sources.var("OPENLINEAGE_API_KEY").map(Secret::new);
            http.lineage_url().map_err(|m| {
                Error::config("environment variable OPENLINEAGE_URL", "OPENLINEAGE_URL", m)
            })?;
            return Ok(TransportConfig::Http(http));
        }
        Ok(TransportConfig::Console(ConsoleConfig::default()))
    }

    /// Parses a transport from YAML text, as the `transport` value of `openlineage.yml`
    /// (`source` names it in errors).
    pub fn from_yaml(text: &str, source: &str) -> Result<Self, Error> {
        let value: Value = serde_yaml_ng::from_str(text).map_err(|e| yaml_error(source, &e))?;
        let origins = Origins {
            file: Some((PathBuf::from(source), value.clone())),
            env: Vec::new(),
        };
        parse(&value, &[], &origins)
    }

    /// Makes the transport.
    pub fn build(&self) -> Result<Box<dyn Transport>, Error> {
        Ok(match self {
            TransportConfig::Http(c) => Box::new(HttpTransport::new(c)?),
            TransportConfig::File(c) => Box::new(FileTransport::new(c.clone())),
            TransportConfig::Console(c) => Box::new(ConsoleTransport::new(c.clone())),
            TransportConfig::Noop => Box::new(NoopTransport),
            TransportConfig::Composite(c, children) => {
                let mut built = Vec::with_capacity(children.len());
                for (name, child) in children {
                    built.push((name.clone(), child.build()?));
                }
                Box::new(CompositeTransport::new(*c, built))
            }
        })
    }

    /// A summary without secrets, in the shape the Python comparison test prints: the type,
    /// the resolved URL, timeout, compression, whether there is a bearer token, header names.
    pub fn describe(&self) -> Value {
        match self {
            TransportConfig::Http(c) => serde_json::json!({
                "type": "http",
                "url": c.lineage_url().map(|u| u.to_string()).unwrap_or_default(),
                "timeout": c.timeout.as_secs_f64(),
                "verify": c.verify,
                "compression": c.compression.map(|_| "gzip"),
                "bearer": c.api_key.is_some(),
                "headers": c.custom_headers.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
                "retry_total": c.retry.total,
            }),
            TransportConfig::File(c) => serde_json::json!({
                "type": "file",
                "log_file_path": c.log_file_path.display().to_string(),
                "append": c.append,
            }),
            TransportConfig::Console(_) => serde_json::json!({"type": "console"}),
            TransportConfig::Noop => serde_json::json!({"type": "noop"}),
            TransportConfig::Composite(c, children) => {
                let mut items: Vec<Value> = children
                    .iter()
                    .map(|(name, child)| {
                        let mut d = child.describe();
                        d["name"] = Value::String(name.clone());
                        d
                    })
                    .collect();
                items.sort_by_key(|d| d["name"].as_str().unwrap_or_default().to_string());
                serde_json::json!({
                    "type": "composite",
                    "continue_on_failure": c.continue_on_failure,
                    "continue_on_success": c.continue_on_success,
                    "transports": items,
                })
            }
        }
    }
}

/// The variables with `OPENLINEAGE_URL` (and its key and endpoint) also given as the
/// `default_http` child of a composite, as the Python client does, unless that child is
/// configured already.
fn aliased(sources: &Sources) -> BTreeMap<String, String> {
    let mut vars = sources.vars.clone();
    let Some(url) = sources.var("OPENLINEAGE_URL") else {
        return vars;
    };
    let child = format!("{PREFIX}TRANSPORT__TRANSPORTS__{DEFAULT_HTTP}");
    if vars.keys().any(|k| k.starts_with(&child)) {
        return vars;
    }
    vars.insert(format!("{child}__TYPE"), "http".into());
    vars.insert(format!("{child}__URL"), url.to_string());
    if let Some(key) = sources.var("OPENLINEAGE_API_KEY") {
        vars.insert(
            format!("{child}__AUTH"),
            serde_json::json!({"type": "api_key", "apiKey": key}).to_string(),
        );
    }
    if let Some(endpoint) = sources.var("OPENLINEAGE_ENDPOINT") {
        vars.insert(format!("{child}__ENDPOINT"), endpoint.to_string());
    }
    vars
}

fn find_config_file(sources: &Sources) -> Result<Option<PathBuf>, Error> {
    if let Some(path) = sources.var("OPENLINEAGE_CONFIG") {
        // A relative path is taken from the working directory, as opening it would.
        let path = match &sources.cwd {
            Some(cwd) => cwd.join(path),
            None => PathBuf::from(path),
        };
        if path.is_file() {
            return Ok(Some(path));
        }
        return Err(Error::config(
            "environment variable OPENLINEAGE_CONFIG",
            "OPENLINEAGE_CONFIG",
            format!("{} is not a readable file", path.display()),
        ));
    }
    let candidates = [
        sources.cwd.as_ref().map(|d| d.join("openlineage.yml")),
        sources
            .home
            .as_ref()
            .map(|h| h.join(".openlineage").join("openlineage.yml")),
    ];
    Ok(candidates.into_iter().flatten().find(|p| p.is_file()))
}

fn yaml_error(source: &str, e: &serde_yaml_ng::Error) -> Error {
    let key = match e.location() {
        Some(l) => format!("line {} column {}", l.line(), l.column()),
        None => "(document)".into(),
    };
    Error::config(source, key, format!("not valid YAML: {e}"))
}

fn read_yaml(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let source = path.display().to_string();
    let value: Value = serde_yaml_ng::from_str(&text).map_err(|e| yaml_error(&source, &e))?;
    match value {
        // An empty file configures nothing, as in the Python client.
        Value::Null => Ok(Value::Object(Map::new())),
        Value::Object(_) => Ok(value),
        _ => Err(Error::config(
            source,
            "(top level)",
            "the file must be a mapping with a `transport` key",
        )),
    }
}

fn insert(config: &mut Value, path: &[String], value: Value) {
    let mut current = config;
    for key in &path[..path.len().saturating_sub(1)] {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        current = current
            .as_object_mut()
            .map(|m| {
                m.entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()))
            })
            .unwrap_or_else(|| unreachable!("made an object above"));
    }
    if !current.is_object() {
        *current = Value::Object(Map::new());
    }
    if let (Some(map), Some(last)) = (current.as_object_mut(), path.last()) {
        map.insert(last.clone(), value);
    }
}

/// `over` merged into `base`, recursively for mappings; `over` wins.
fn merge(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Object(mut b), Value::Object(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) if old.is_object() && v.is_object() => merge(old, v),
                    _ => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (_, over) => over,
    }
}

fn child(path: &[String], key: &str) -> Vec<String> {
    let mut p = path.to_vec();
    p.push(key.to_string());
    p
}

fn string(v: &Value, path: &[String], key: &str, o: &Origins) -> Result<Option<String>, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(o.error(&child(path, key), "must be a string")),
    }
}

fn boolean(v: &Value, path: &[String], key: &str, o: &Origins) -> Result<Option<bool>, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(o.error(&child(path, key), "must be true or false")),
    }
}

fn number(v: &Value, path: &[String], key: &str, o: &Origins) -> Result<Option<f64>, Error> {
    let n = match v.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    match n {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
        _ => Err(o.error(&child(path, key), "must be a non-negative number")),
    }
}

fn parse(v: &Value, path: &[String], o: &Origins) -> Result<TransportConfig, Error> {
    if !v.is_object() {
        return Err(o.error(path, "must be a mapping with a `type`"));
    }
    let kind = string(v, path, "type", o)?
        .ok_or_else(|| o.error(&child(path, "type"), format!("missing; one of {KNOWN}")))?;
    match kind.as_str() {
        "http" => parse_http(v, path, o).map(TransportConfig::Http),
        "file" => {
            let log_file_path = string(v, path, "log_file_path", o)?
                .ok_or_else(|| o.error(&child(path, "log_file_path"), "missing"))?;
            Ok(TransportConfig::File(FileConfig {
                log_file_path: PathBuf::from(log_file_path),
                append: boolean(v, path, "append", o)?.unwrap_or(false),
            }))
        }
        "console" => {
            let stream = match string(v, path, "stream", o)?.as_deref() {
                None | Some("stdout") => ConsoleStream::Stdout,
                Some("log") => ConsoleStream::Log,
                Some(other) => {
                    return Err(o.error(
                        &child(path, "stream"),
                        format!("unknown stream `{other}` (stdout or log)"),
                    ))
                }
            };
            Ok(TransportConfig::Console(ConsoleConfig { stream }))
        }
        "noop" => Ok(TransportConfig::Noop),
        "composite" => parse_composite(v, path, o),
        other => Err(o.error(
            &child(path, "type"),
            format!("unknown transport type `{other}`; this client has {KNOWN}"),
        )),
    }
}

fn parse_http(v: &Value, path: &[String], o: &Origins) -> Result<HttpConfig, Error> {
    let url = string(v, path, "url", o)?.ok_or_else(|| o.error(&child(path, "url"), "missing"))?;
    let mut c = HttpConfig::new(url);
    if let Some(endpoint) = string(v, path, "endpoint", o)? {
        c.endpoint = endpoint;
    }
    c.lineage_url().map_err(|m| {
        let key = if m.starts_with("endpoint") {
            "endpoint"
        } else {
            "url"
        };
        o.error(&child(path, key), m)
    })?;
    if let Some(t) = number(v, path, "timeout", o)? {
        if t == 0.0 {
            return Err(o.error(&child(path, "timeout"), "must be more than 0"));
        }
        c.timeout = Duration::from_secs_f64(t);
    }
    c.verify = boolean(v, path, "verify", o)?.unwrap_or(true);
    c.batch = boolean(v, path, "batch", o)?.unwrap_or(false);
    match string(v, path, "compression", o)?.as_deref() {
        None | Some("") => {}
        Some("gzip") => c.compression = Some(Compression::Gzip),
        Some(other) => {
            return Err(o.error(
                &child(path, "compression"),
                format!("unknown compression `{other}` (gzip)"),
            ))
        }
    }
    let auth_path = child(path, "auth");
    match v.get("auth") {
        None | Some(Value::Null) => {}
        Some(auth @ Value::Object(_)) => match string(auth, &auth_path, "type", o)?.as_deref() {
            None => {}
            Some("api_key") => {
                let key = ["apiKey", "apikey", "api_key"]
                    .iter()
                    .find_map(|k| auth.get(*k).and_then(Value::as_str))
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| {
                        o.error(&child(&auth_path, "apiKey"), "missing (auth type api_key)")
                    })?;
                c.api_key = Some(Secret::new(key));
            }
            Some(other) => {
                return Err(o.error(
                    &child(&auth_path, "type"),
                    format!("unsupported auth type `{other}` (api_key)"),
                ))
            }
        },
        Some(_) => return Err(o.error(&auth_path, "must be a mapping")),
    }
    let headers_path = child(path, "custom_headers");
    match v.get("custom_headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(o.error(&child(&headers_path, name), "must be a string")),
                };
                c.custom_headers.push((name.clone(), Secret::new(value)));
            }
        }
        Some(_) => return Err(o.error(&headers_path, "must be a mapping of names to values")),
    }
    match v.get("secret_headers") {
        None | Some(Value::Null) => {}
        Some(Value::Array(names)) => {
            for name in names {
                let name = name.as_str().ok_or_else(|| {
                    o.error(
                        &child(path, "secret_headers"),
                        "must be a list of header names",
                    )
                })?;
                c.secret_headers.push(name.to_string());
            }
        }
        Some(_) => {
            return Err(o.error(
                &child(path, "secret_headers"),
                "must be a list of header names",
            ))
        }
    }
    let retry_path = child(path, "retry");
    match v.get("retry") {
        None | Some(Value::Null) => {}
        Some(r @ Value::Object(_)) => {
            let mut retry = RetryConfig::default();
            if let Some(total) = number(r, &retry_path, "total", o)? {
                retry.total = total as u32;
            }
            if let Some(factor) = number(r, &retry_path, "backoff_factor", o)? {
                retry.backoff_factor = factor;
            }
            if let Some(max) = number(r, &retry_path, "backoff_max", o)? {
                retry.backoff_max = Duration::from_secs_f64(max);
            }
            c.retry = retry;
        }
        Some(_) => return Err(o.error(&retry_path, "must be a mapping")),
    }
    Ok(c)
}

fn parse_composite(v: &Value, path: &[String], o: &Origins) -> Result<TransportConfig, Error> {
    let config = CompositeConfig {
        continue_on_failure: boolean(v, path, "continue_on_failure", o)?.unwrap_or(true),
        continue_on_success: boolean(v, path, "continue_on_success", o)?.unwrap_or(true),
    };
    let list_path = child(path, "transports");
    let mut children: Vec<(String, i64, TransportConfig)> = Vec::new();
    match v.get("transports") {
        Some(Value::Object(map)) => {
            for (name, item) in map {
                // The Python client skips entries left empty.
                if item.is_null() || item.as_object().is_some_and(Map::is_empty) {
                    continue;
                }
                let p = child(&list_path, name);
                let priority = number(item, &p, "priority", o)?.unwrap_or(0.0) as i64;
                children.push((name.clone(), priority, parse(item, &p, o)?));
            }
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let p = child(&list_path, &i.to_string());
                let name = string(item, &p, "name", o)?.unwrap_or_else(|| i.to_string());
                let priority = number(item, &p, "priority", o)?.unwrap_or(0.0) as i64;
                children.push((name, priority, parse(item, &p, o)?));
            }
        }
        _ => return Err(o.error(&list_path, "missing; a list or mapping of transports")),
    }
    if children.is_empty() {
        return Err(o.error(&list_path, "no transports"));
    }
    if boolean(v, path, "sort_transports", o)?.unwrap_or(false) {
        // Highest priority first; the sort is stable, so equal priorities keep their order.
        children.sort_by_key(|c| std::cmp::Reverse(c.1));
    }
    Ok(TransportConfig::Composite(
        config,
        children.into_iter().map(|(n, _, c)| (n, c)).collect(),
    ))
}
