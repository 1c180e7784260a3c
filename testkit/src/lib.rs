//! Real parts for the integration tests: the moto emulator (with a fault-injecting proxy in front),
//! `cargo lambda watch` running the function under the Lambda runtime API, and `cargo lambda invoke`.
//! Each is started once per test binary and tied to it: when the test process ends, they end.
//!
//! The tests that use it need the pinned tools `scripts/test.sh` installs, so they build only with
//! their crate's `emulator-tests` feature, which `scripts/test.sh` turns on.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use serde_json::{json, Value};

/// The workspace root: the first directory up from the crate that has Cargo.lock.
pub fn root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .find(|d| d.join("Cargo.lock").exists())
        .unwrap_or(crate_dir)
        .to_path_buf()
}

/// The engine with the built-in rules and the default limits.
pub fn builtin_engine() -> trailwatch::engine::Engine {
    trailwatch::engine::Engine::new(
        trailwatch::rules::ruleset::RuleSet::builtin(trailwatch::rules::ruleset::DEFAULT_NAMESPACE)
            .unwrap(),
        trailwatch::cloudtrail::ReadLimits::default(),
    )
}

/// StartInstances per user: what a file's datums say.
pub fn start_instances_by_user(
    report: trailwatch::engine::FileReport,
) -> std::collections::BTreeMap<String, f64> {
    let mut users = std::collections::BTreeMap::new();
    for d in report.aggregation.into_datums() {
        if &*d.metric_name == "StartInstances" {
            *users.entry(d.dimensions[0].1.clone()).or_insert(0.0) += d.statistics.sum;
        }
    }
    users
}

/// Runs a binary (`env!("CARGO_BIN_EXE_…")` in the test) from the workspace root, as the docs show it.
pub fn run_from_root(binary: &str, args: &[&str]) -> std::process::Output {
    Command::new(binary)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Output bytes as text, invalid UTF-8 shown as �.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The Python virtualenv that `scripts/test.sh` fills with moto and cargo-lambda (pinned).
pub fn venv_bin() -> PathBuf {
    let venv = std::env::var_os("TRAILWATCH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/py"));
    let bin = venv.join("bin");
    assert!(
        bin.join("moto_server").exists() && bin.join("cargo-lambda").exists(),
        "moto and cargo-lambda are not installed in {}: run ./scripts/test.sh once (it installs them, pinned), \
         or point TRAILWATCH_VENV at a virtualenv that has them",
        venv.display()
    );
    bin
}

/// Logs of the tools the tests start, outside the work tree (`cargo lambda watch` rebuilds on any
/// change in it).
pub fn log_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trailwatch-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Emulator {
    /// moto itself.
    pub moto: String,
    /// The proxy in front of moto that can fail requests on demand; the function talks to it.
    pub proxy: String,
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let bin = venv_bin();
        let log = log_dir().join("moto.log");
        let mut child = Command::new(bin.join("python"))
            .arg(root().join("scripts/testing/emulator.py"))
            .args(["--log", log.to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start scripts/testing/emulator.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ports: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            ports.first(),
            Some(&"READY"),
            "emulator did not start: {line:?}"
        );
        Emulator {
            moto: format!("http://127.0.0.1:{}", ports[1]),
            proxy: format!("http://127.0.0.1:{}", ports[2]),
            _stdin: Mutex::new(child.stdin.take().unwrap()),
            _child: Mutex::new(child),
        }
    })
}

/// Sets the proxy's fault rules (see scripts/testing/emulator.py).
pub fn set_faults(rules: Value) {
    proxy_faults("POST", &rules.to_string());
}

/// The proxy's fault rules, each with `seen` (requests it matched) and `failed` (those it answered).
pub fn faults() -> Value {
    proxy_faults("GET", "")
}

fn proxy_faults(method: &str, body: &str) -> Value {
    use std::io::Read;
    let addr = emulator().proxy.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "{method} /__faults HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "{method} /__faults failed: {answer}"
    );
    let (_, rules) = answer.split_once("\r\n\r\n").unwrap_or_default();
    serde_json::from_str(rules).unwrap()
}

/// Test-side SDK clients, straight to moto.
pub async fn clients() -> (aws_sdk_s3::Client, aws_sdk_cloudwatch::Client) {
    let config = sdk_config().await;
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    (
        aws_sdk_s3::Client::from_conf(s3),
        aws_sdk_cloudwatch::Client::new(&config),
    )
}

/// The test side's SDK configuration: moto itself, test credentials.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&emulator().moto)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await
}

pub async fn ensure_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    if s3.head_bucket().bucket(bucket).send().await.is_err() {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
}

pub async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    ensure_bucket(s3, bucket).await;
    put_object(s3, bucket, key, body).await;
}

/// An object's body as text (lossily).
pub async fn object_text(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let body = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    String::from_utf8_lossy(&body).into_owned()
}

/// Puts an object into an existing bucket; returns its ETag, unquoted.
pub async fn put_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) -> String {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
    out.e_tag().unwrap().trim_matches('"').to_owned()
}

/// The state bucket the function keeps progress markers in.
pub const STATE_BUCKET: &str = "trailwatch-state";

/// Tests that count metrics take this shared; a test that injects faults takes it alone.
pub static FAULTS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

pub struct Watch {
    pub port: u16,
    /// The binary `cargo lambda invoke` names.
    pub function: &'static str,
    /// The process that ties `cargo lambda watch` to the test; the function runs below it.
    pid: u32,
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

/// The environment every watched function gets: the emulator (through the proxy), test credentials,
/// two attempts per AWS call.
pub fn function_env() -> Vec<String> {
    vec![
        format!("AWS_ENDPOINT_URL={}", emulator().proxy),
        "AWS_REGION=us-east-1".into(),
        "AWS_ACCESS_KEY_ID=test".into(),
        "AWS_SECRET_ACCESS_KEY=test".into(),
        "AWS_MAX_ATTEMPTS=2".into(),
        "AWS_LAMBDA_LOG_LEVEL=info".into(),
    ]
}

/// `cargo lambda watch` running trail-metrics against the emulator (through the proxy).
pub fn watch() -> &'static Watch {
    static WATCH: OnceLock<Watch> = OnceLock::new();
    WATCH.get_or_init(|| {
        let mut env = function_env();
        env.push(format!("DEDUP=s3://{STATE_BUCKET}/progress/"));
        let ping =
            serde_json::json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "ping"});
        start_watch("trail-metrics", &env, &ping)
    })
}

/// Starts `cargo lambda watch` for the function crate `functions/<function>` with `env`, and waits
/// until `ping` goes through (the first invocation waits for the build).
pub fn start_watch(function: &'static str, env: &[String], ping: &Value) -> Watch {
    start_watch_with(function, env, ping, &[])
}

/// `start_watch` with more `cargo lambda watch` options (`--release`, `--ignore-changes`…).
pub fn start_watch_with(
    function: &'static str,
    env: &[String],
    ping: &Value,
    options: &[&str],
) -> Watch {
    let bin = venv_bin();
    let port = free_port();
    let log = log_dir().join(format!("watch-{function}.log"));
    let mut cmd = Command::new(bin.join("python"));
    cmd.arg(root().join("scripts/testing/tied.py"))
        .arg(&log)
        .arg(bin.join("cargo-lambda"))
        .args([
            "lambda",
            "watch",
            "--quiet",
            "--invoke-address",
            "127.0.0.1",
        ])
        .args(["--invoke-port", &port.to_string()])
        .args(options);
    for e in env {
        cmd.args(["--env-var", e]);
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = cmd
        .current_dir(root().join("functions").join(function))
        .env("PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start cargo lambda watch");
    let stdin = child.stdin.take().unwrap();
    let watch = Watch {
        port,
        function,
        pid: child.id(),
        _stdin: Mutex::new(stdin),
        _child: Mutex::new(child),
    };
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let out = watch.invoke(ping);
        if out.ok {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "cargo lambda watch did not answer in 15 minutes; its log: {}\n{}",
            log.display(),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_secs(2));
    }
    watch
}

impl Watch {
    /// Invokes the function with an event.
    pub fn invoke(&self, payload: &Value) -> Invoked {
        let file = log_dir().join(format!("payload-{}.json", free_port()));
        std::fs::File::create(&file)
            .and_then(|mut f| f.write_all(payload.to_string().as_bytes()))
            .unwrap();
        self.invoke_file(&file)
    }

    /// Invokes the function with a file, as a user would (`--data-file`).
    pub fn invoke_file(&self, file: &Path) -> Invoked {
        let out = Command::new(venv_bin().join("cargo-lambda"))
            .args(["lambda", "invoke", self.function, "--output-format", "json"])
            .args([
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &self.port.to_string(),
            ])
            .arg("--data-file")
            .arg(file)
            .current_dir(root())
            .output()
            .expect("run cargo lambda invoke");
        Invoked {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The function's log so far (what `cargo lambda watch` printed).
    pub fn log(&self) -> String {
        std::fs::read_to_string(log_dir().join(format!("watch-{}.log", self.function)))
            .unwrap_or_default()
    }

    /// Invokes the function through the emulator's Invoke API
    /// (`POST /2015-03-31/functions/<function>/invocations`), as an SDK would: no `cargo lambda invoke`
    /// process per call. A function error comes back as status 500 with Lambda's
    /// `{"errorType":…,"errorMessage":…}` (real Lambda answers 200 with `X-Amz-Function-Error`).
    pub fn invoke_http(&self, payload: &Value) -> Answer {
        use std::io::Read;
        let body = payload.to_string();
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(600)))
            .unwrap();
        write!(
            stream,
            "POST /2015-03-31/functions/{}/invocations HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.function,
            self.port,
            body.len()
        )
        .unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        Answer::parse(&raw)
    }

    /// The pid of the function process this watch runs (found below it in /proc); `None` when there
    /// is none, a panic when there are several.
    pub fn function_pid(&self) -> Option<u32> {
        let suffix = format!("/{}", self.function);
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            if argv0.ends_with(suffix.as_bytes()) && descends_from(pid, self.pid) {
                found.push(pid);
            }
        }
        assert!(
            found.len() <= 1,
            "several {} processes: {found:?}",
            self.function
        );
        found.first().copied()
    }
}

/// Whether `ancestor` is `pid`'s parent, grandparent…
fn descends_from(pid: u32, ancestor: u32) -> bool {
    let mut pid = pid;
    while pid > 1 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            return false;
        };
        if ppid == ancestor {
            return true;
        }
        pid = ppid;
    }
    false
}

/// A field of `/proc/<pid>/status` that is a size (`VmRSS`, `VmHWM`…), in bytes.
pub fn proc_status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kib * 1024)
}

/// An HTTP answer from the emulator's Invoke API.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    fn parse(raw: &[u8]) -> Answer {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("not an HTTP answer: {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..split]);
        let body = &raw[split + 4..];
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head:?}"));
        let chunked = head.lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("transfer-encoding:") && l.contains("chunked")
        });
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_vec()
        };
        Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub fn ok(&self) -> bool {
        self.status == 200
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or_else(|| panic!("bad chunk: {:?}", String::from_utf8_lossy(rest)));
        let line = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or_else(|e| panic!("bad chunk size {line:?}: {e}"));
        if size == 0 {
            return body;
        }
        let data = &rest[line_end + 2..];
        body.extend_from_slice(&data[..size]);
        rest = &data[size + 2..];
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What `cargo lambda invoke` printed.
#[derive(Debug)]
pub struct Invoked {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Invoked {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// Invokes trail-metrics with an event.
pub fn invoke(payload: &Value) -> Invoked {
    watch().invoke(payload)
}

/// Invokes trail-metrics with a file from events/, as a user would.
pub fn invoke_event_file(name: &str) -> Invoked {
    watch().invoke_file(&root().join("events/trail-metrics").join(name))
}

/// Starts a function binary outside any emulator, with `env`, as Lambda would start it, and expects it
/// to stop at start; returns what it printed.
pub fn start_fails(binary: &str, function: &str, env: &[(&str, &str)]) -> String {
    let out = Command::new(binary)
        .envs(env.iter().copied())
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{function} started: {out:?}");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Lambda's answer to a failed invocation as one line: `cargo lambda invoke` wraps it in a box.
pub fn error_text(out: &Invoked) -> String {
    format!("{}{}", out.stdout, out.stderr)
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn event_file(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("events/trail-metrics").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn rfc3339(t: i64) -> String {
    trailwatch::time::UnixSeconds(t).to_string()
}

/// Sum of a statistic over [from, to) for one series, read back from the emulator.
pub async fn statistic(
    cw: &aws_sdk_cloudwatch::Client,
    metric: &str,
    dimensions: &[(&str, &str)],
    from: i64,
    to: i64,
    statistic: Statistic,
) -> f64 {
    let out = cw
        .get_metric_statistics()
        .namespace("CloudTrailMetrics")
        .metric_name(metric)
        .set_dimensions(Some(
            dimensions
                .iter()
                .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
                .collect(),
        ))
        .start_time(aws_smithy_types::DateTime::from_secs(from))
        .end_time(aws_smithy_types::DateTime::from_secs(to))
        .period(60)
        .statistics(statistic.clone())
        .send()
        .await
        .unwrap();
    out.datapoints()
        .iter()
        .map(|d| match statistic {
            Statistic::SampleCount => d.sample_count().unwrap_or(0.0),
            _ => d.sum().unwrap_or(0.0),
        })
        .sum()
}

/// StartInstances calls counted for `user` within two minutes of `time`, read back from the emulator.
pub async fn start_instances(cw: &aws_sdk_cloudwatch::Client, user: &str, time: i64) -> f64 {
    statistic(
        cw,
        "StartInstances",
        &[("UserName", user)],
        time - 120,
        time + 120,
        Statistic::SampleCount,
    )
    .await
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use flate2::write::GzEncoder;
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A log of StartInstances calls: (user, count) at `time`.
pub fn start_instances_log(users: &[(String, usize)], time: i64) -> Vec<u8> {
    let mut records = Vec::new();
    for (user, n) in users {
        for i in 0..*n {
            records.push(serde_json::json!({
                "eventVersion": "1.09",
                "userIdentity": {"type": "IAMUser", "userName": user, "accountId": "123456789012"},
                "eventTime": rfc3339(time + i as i64 % 50),
                "eventSource": "ec2.amazonaws.com",
                "eventName": "StartInstances",
                "awsRegion": "us-east-1",
                "sourceIPAddress": "198.51.100.20",
                "eventID": format!("{user}-{i}"),
                "recipientAccountId": "123456789012",
            }));
        }
    }
    gzip(
        serde_json::json!({"Records": records})
            .to_string()
            .as_bytes(),
    )
}

pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(data), &mut out).unwrap();
    out
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A digest in CloudTrail's documented format (decompressed), delivered as `key`, ending at `end`, listing `files`
/// (key, decompressed content as CloudTrail delivered it), after `previous` (key, decompressed).
pub fn digest_json(
    bucket: &str,
    key: &str,
    end: i64,
    files: &[(&str, &[u8])],
    previous: Option<(&str, &[u8])>,
) -> Vec<u8> {
    let logs: Vec<Value> = files
        .iter()
        .map(|(k, content)| {
            json!({"s3Bucket": bucket, "s3Object": k, "hashValue": sha256_hex(content),
                "hashAlgorithm": "SHA-256"})
        })
        .collect();
    let link = |v: Value| if previous.is_some() { v } else { Value::Null };
    json!({
        "awsAccountId": "123456789012",
        "digestStartTime": rfc3339(end - 3600),
        "digestEndTime": rfc3339(end),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": TEST_KEY_FINGERPRINT,
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": null,
        "oldestEventTime": null,
        "previousDigestS3Bucket": link(json!(bucket)),
        "previousDigestS3Object": link(json!(previous.map(|p| p.0))),
        "previousDigestHashValue": link(json!(previous.map(|p| sha256_hex(p.1)))),
        "previousDigestHashAlgorithm": link(json!("SHA-256")),
        "previousDigestSignature": link(json!("00ff")),
        "logFiles": logs,
    })
    .to_string()
    .into_bytes()
}

/// The public half (SubjectPublicKeyInfo DER) of the key [`sign_digest`] signs with; its private half
/// is `tests/data/digest/signature/test-signing-key.pk8.der`, made with OpenSSL for tests only.
pub const TEST_PUBLIC_KEY: &[u8] =
    include_bytes!("../../tests/data/digest/signature/test-signing-key.spki.der");

/// [`TEST_PUBLIC_KEY`]'s fingerprint as CloudTrail names keys: the MD5 of its DER bytes (`md5sum`).
pub const TEST_KEY_FINGERPRINT: &str = "da227787130aa42e306692589f9adf8e";

/// CloudTrail's signature (hex, as its `x-amz-meta-signature` holds it) on `digest`, a decompressed
/// digest file such as [`digest_json`] makes, made with the test key: RSA PKCS #1 v1.5 with SHA-256
/// over `digestEndTime \n digestS3Bucket/digestS3Object \n hex(SHA-256(digest)) \n
/// previousDigestSignature` (`null` when there is none), as AWS documents it.
pub fn sign_digest(digest: &[u8]) -> String {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let fields: Value = serde_json::from_slice(digest).unwrap();
    let text = |name: &str| fields[name].as_str().unwrap_or("null").to_owned();
    let signed = format!(
        "{}\n{}/{}\n{}\n{}",
        text("digestEndTime"),
        text("digestS3Bucket"),
        text("digestS3Object"),
        sha256_hex(digest),
        text("previousDigestSignature"),
    );
    let key = rsa::PrivateKey::from_pkcs8_der(include_bytes!(
        "../../tests/data/digest/signature/test-signing-key.pk8.der"
    ))
    .unwrap();
    let signature =
        rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(key).sign(signed.as_bytes());
    signature
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Puts `body` with the user metadata CloudTrail puts on a digest it delivers: its `signature` and
/// `signature-algorithm`.
pub async fn put_signed_digest(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    signature: &str,
) {
    ensure_bucket(s3, bucket).await;
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .metadata("signature", signature)
        .metadata("signature-algorithm", "SHA256withRSA")
        .send()
        .await
        .unwrap();
}

/// `event` with the ETag of every object it names (S3 records, EventBridge's `detail`, inside SNS
/// messages and SQS bodies) set to the object's real one, read from the emulator: trail-metrics reads
/// an object only if it is still the version its notification announced (If-Match), and the sample
/// events' ETags are examples.
pub async fn with_real_etags(s3: &aws_sdk_s3::Client, mut event: Value) -> Value {
    let mut named = Vec::new();
    walk_objects(&mut event, &mut |bucket, key, _| {
        named.push((bucket.to_owned(), key.to_owned()))
    });
    let mut etags = std::collections::HashMap::new();
    for (bucket, key) in named {
        let decoded = trailwatch::text::url_decode(&key).unwrap_or_else(|_| key.clone());
        if let Ok(head) = s3.head_object().bucket(&bucket).key(&decoded).send().await {
            if let Some(etag) = head.e_tag() {
                etags.insert((bucket, key), etag.trim_matches('"').to_owned());
            }
        }
    }
    walk_objects(&mut event, &mut |bucket, key, etag| {
        if let Some(real) = etags.get(&(bucket.to_owned(), key.to_owned())) {
            *etag = json!(real);
        }
    });
    event
}

/// Calls `visit(bucket, key, etag slot)` for every object `v` names with an ETag, looking into JSON
/// strings (SNS messages, SQS bodies) and writing them back.
fn walk_objects(v: &mut Value, visit: &mut dyn FnMut(&str, &str, &mut Value)) {
    let named = |v: &Value, holder: &str| -> Option<(String, String, &'static str)> {
        let bucket = v
            .pointer(&format!("/{holder}bucket/name"))?
            .as_str()?
            .to_owned();
        let key = v
            .pointer(&format!("/{holder}object/key"))?
            .as_str()?
            .to_owned();
        let field = ["eTag", "etag"]
            .into_iter()
            .find(|f| v.pointer(&format!("/{holder}object/{f}")).is_some())?;
        Some((bucket, key, field))
    };
    for holder in ["s3/", "detail/"] {
        if let Some((bucket, key, field)) = named(v, holder) {
            if let Some(slot) = v.pointer_mut(&format!("/{holder}object/{field}")) {
                visit(&bucket, &key, slot);
            }
        }
    }
    match v {
        Value::Object(map) => map.values_mut().for_each(|x| walk_objects(x, visit)),
        Value::Array(items) => items.iter_mut().for_each(|x| walk_objects(x, visit)),
        Value::String(text) if text.trim_start().starts_with('{') => {
            if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
                walk_objects(&mut inner, visit);
                *text = inner.to_string();
            }
        }
        _ => {}
    }
}
