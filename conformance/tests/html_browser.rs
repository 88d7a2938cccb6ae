//! The HTML report in a real browser: headless Chromium renders reports that `ol-conformance`
//! wrote against a hostile server (every answer is markup meant to run), and the DOM it dumps
//! shows every check, the hostile bodies as text, no script of theirs run and no console
//! error; a screenshot is written under `target/html-report/`.
//!
//! Chromium is the Debian package `chromium` (`.ci/run` installs it); `OL_TEST_CHROMIUM` names
//! another binary. Without one, each test fails with one line saying so.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use openlineage_conformance::checks::{CheckId, ProducerCheck};

/// Markup that changes the page's title if it ever runs, in a script and in an event handler.
const HOSTILE: &str = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned';document.body.append(document.createElement('marquee'))\">";

/// The report's own title.
const TITLE: &str = "<title>ol-conformance report</title>";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ol-conformance"))
}

/// `target/html-report/`, beside the binary's profile folder.
fn out_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_ol-conformance"));
    let target = exe
        .parent()
        .and_then(Path::parent)
        .expect("the binary sits in target/<profile>/");
    let dir = target.join("html-report");
    std::fs::create_dir_all(&dir).expect("target/html-report");
    dir
}

/// The Chromium binary, or a one-line failure naming what is missing.
fn chromium() -> String {
    let candidates = match std::env::var("OL_TEST_CHROMIUM") {
        Ok(path) => vec![path],
        Err(_) => ["chromium", "chromium-browser", "google-chrome"]
            .map(String::from)
            .to_vec(),
    };
    let runs = |name: &String| {
        Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    match candidates.into_iter().find(runs) {
        Some(found) => found,
        None => panic!("chromium is missing: install the Debian package `chromium` (apt-get install -y chromium) or set OL_TEST_CHROMIUM to a Chromium binary"),
    }
}

/// What headless Chromium made of a page: the DOM after scripts ran, and its console log.
struct Rendered {
    dom: String,
    log: String,
}

/// Opens `url` in headless Chromium (a fresh profile under `target/`), dumps the DOM and, when
/// `screenshot` is given, writes one there.
fn render(url: &str, screenshot: Option<&Path>) -> Rendered {
    let profile = tempdir("chromium-profile");
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,1800",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    match screenshot {
        Some(path) => cmd.arg(format!("--screenshot={}", path.display())),
        None => cmd.arg("--dump-dom"),
    };
    let out = cmd.arg(url).output().expect("chromium runs");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed on {url}: {log}");
    let _ = std::fs::remove_dir_all(&profile);
    Rendered {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        log,
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = out_dir().join(format!(
        "{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Console errors and uncaught exceptions in Chromium's log.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("Uncaught")
                || l.contains("ERROR:CONSOLE")
                || (l.contains(":CONSOLE") && l.contains("rror"))
        })
        .collect()
}

/// The opening tag of each row of the table of checks.
fn row_tags(dom: &str) -> Vec<&str> {
    dom.match_indices("<tr id=\"check-")
        .map(|(i, _)| &dom[i..i + dom[i..].find('>').unwrap_or(0)])
        .collect()
}

fn file_url(path: &Path) -> String {
    format!(
        "file://{}",
        std::path::absolute(path).expect("absolute").display()
    )
}

/// A server that accepts every single event and refuses every batch, each time answering
/// `HOSTILE` as HTML: many distinct failures, each with a hostile body.
fn hostile_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let html = || [(header::CONTENT_TYPE, "text/html")];
            let app = Router::new()
                .route(
                    "/api/v1/lineage",
                    post(move || async move { (StatusCode::OK, html(), HOSTILE).into_response() }),
                )
                .route(
                    "/api/v1/lineage/batch",
                    post(move || async move {
                        (StatusCode::BAD_REQUEST, html(), HOSTILE).into_response()
                    }),
                );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    rx.recv().expect("the server starts")
}

/// The browser runs a script it is given and logs its errors, so the checks below can fail.
#[test]
fn the_browser_checks_would_see_injected_script_and_console_errors() {
    let page = out_dir().join("control.html");
    std::fs::write(&page, format!("<!DOCTYPE html><html><head>{TITLE}</head><body>{HOSTILE}<script>null.boom();</script></body></html>")).expect("write");
    let r = render(&file_url(&page), None);
    assert!(r.dom.contains("<title>pwned</title>"), "{}", r.dom);
    assert!(r.dom.contains("<marquee"), "{}", r.dom);
    assert!(!console_errors(&r.log).is_empty(), "{}", r.log);
}

#[test]
fn a_report_against_a_hostile_server_shows_every_check_and_runs_nothing_of_its_bodies() {
    let addr = hostile_server();
    let page = out_dir().join("hostile-run.html");
    let out = bin()
        .args([
            "run",
            "--target",
            &format!("http://{addr}/api/v1"),
            "--seed",
            "7",
            "--timeout",
            "5",
            "--format",
            "html",
            "--output",
        ])
        .arg(&page)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).expect("the report");
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    assert!(
        html.contains("&lt;script&gt;document.title='pwned'"),
        "the hostile body is shown"
    );

    let url = file_url(&page);
    let r = render(&url, None);
    assert!(
        r.dom.contains(TITLE),
        "the title changed: {}",
        &r.dom[..r.dom.len().min(400)]
    );
    for c in CheckId::ALL {
        assert!(r.dom.contains(&format!("id=\"check-{c}\"")), "{c} missing");
    }
    // The hostile markup is text: no element of its kinds, and only the report's own script.
    assert!(!r.dom.contains("<img") && !r.dom.contains("<marquee"));
    assert_eq!(r.dom.matches("<script").count(), 1);
    assert!(r
        .dom
        .contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;img src=x onerror="));
    // Failures carry their request, response and curl line; scripts showed the filters.
    assert!(r.dom.contains("class=\"curl\"") && r.dom.contains("curl -sS -i -X POST"));
    assert!(r.dom.contains("response: <code>status 200"));
    assert!(
        r.dom.contains("<form id=\"filters\">"),
        "the script ran and showed the filters"
    );
    assert!(
        r.dom.contains("<button class=\"copy\" type=\"button\" data-for=\"curl-")
            && !r.dom.contains("<button class=\"copy\" type=\"button\" data-for=\"curl-single.invalid.missing.rejected-0\" hidden"),
        "the script showed the copy buttons"
    );
    let rows = row_tags(&r.dom);
    assert_eq!(rows.len(), CheckId::ALL.len());
    assert!(
        rows.iter().all(|t| !t.contains("hidden")),
        "every row is shown by default"
    );
    assert_eq!(console_errors(&r.log), Vec::<&str>::new());

    // The address presets the filters: only failing must-tier rows stay.
    let filtered = render(&format!("{url}?outcome=fail&tier=must"), None);
    let rows = row_tags(&filtered.dom);
    for tag in &rows {
        let wanted = tag.contains("data-outcome=\"fail\"") && tag.contains("data-tier=\"must\"");
        assert_eq!(!tag.contains("hidden"), wanted, "{tag}");
    }
    assert!(
        rows.iter().any(|t| !t.contains("hidden")) && rows.iter().any(|t| t.contains("hidden"))
    );

    // With scripts off (the page without its script: headless Chromium ignores the switches
    // that turn scripts off) every row is shown and the filters stay hidden.
    let html = std::fs::read_to_string(&page).expect("the report");
    let (head, rest) = html.split_once("<script>").expect("the report's script");
    let tail = rest.split_once("</script>").expect("the script's end").1;
    let plain_page = out_dir().join("hostile-run-no-script.html");
    std::fs::write(&plain_page, format!("{head}{tail}")).expect("write");
    let plain = render(&file_url(&plain_page), None);
    assert!(plain.dom.contains("<form id=\"filters\" hidden=\"\">"));
    assert!(plain
        .dom
        .contains("data-for=\"curl-single.invalid.missing.rejected-0\" hidden=\"\">"));
    let rows = row_tags(&plain.dom);
    assert_eq!(rows.len(), CheckId::ALL.len());
    assert!(rows.iter().all(|t| !t.contains("hidden")));
    assert!(plain.dom.contains(TITLE));

    let shot = out_dir().join("hostile-run.png");
    let _ = std::fs::remove_file(&shot);
    render(&url, Some(&shot));
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}

#[test]
fn a_lint_report_draws_the_runs_on_a_time_line() {
    let run = "0190b3d4-7a1e-7c3a-9d2e-1f00000000aa";
    let events: Vec<String> = [("START", 0), ("COMPLETE", 30), ("START", 40)]
        .iter()
        .map(|(t, s)| {
            serde_json::json!({
                "eventType": t,
                "eventTime": format!("2024-05-01T10:00:{s:02}Z"),
                "producer": HOSTILE,
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                "run": {"runId": run},
                "job": {"namespace": "shop", "name": HOSTILE},
            })
            .to_string()
        })
        .collect();
    let file = out_dir().join("lint-events.jsonl");
    std::fs::write(&file, events.join("\n")).expect("write");
    let page = out_dir().join("lint.html");
    let out = bin()
        // Strict: the second START is a should finding, and the page shows a failing run.
        .args(["lint", "--strict", "--format", "html", "--output"])
        .arg(&page)
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = file_url(&page);
    let r = render(&url, None);
    assert!(r
        .dom
        .contains("<title>ol-conformance producer report</title>"));
    for c in ProducerCheck::ALL {
        assert!(r.dom.contains(&format!("id=\"check-{c}\"")), "{c} missing");
    }
    assert!(r.dom.contains("id=\"timeline\""));
    assert_eq!(r.dom.matches("class=\"ev ev-START\"").count(), 2);
    assert!(r
        .dom
        .contains("class=\"ev ev-COMPLETE\" style=\"left:75.00%\""));
    assert!(!r.dom.contains("<img") && !r.dom.contains("<marquee"));
    assert_eq!(console_errors(&r.log), Vec::<&str>::new());
    let shot = out_dir().join("lint.png");
    render(&url, Some(&shot));
    assert!(std::fs::read(&shot)
        .expect("the screenshot")
        .starts_with(b"\x89PNG"));
}
