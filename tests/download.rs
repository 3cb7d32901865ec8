//! `payplat check --download-modules` against a module registry on loopback: the registry
//! protocol end to end, the cache and `--offline`, credentials, and hostile answers refused.

use assert_cmd::Command;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One answer: status, headers, body.
type Reply = (u16, Vec<(&'static str, String)>, Vec<u8>);
/// The requests a server saw: path, and `Authorization` header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A registry on loopback answering `routes` (by path), recording each request's path and
/// `Authorization` header. It answers at most 100 requests, then stops.
struct Server {
    base: String,
    seen: Seen,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
}

fn serve(routes: HashMap<String, Reply>) -> Server {
    let routes = Arc::new(Mutex::new(routes));
    let answers = routes.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(100) {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let path = first.split_whitespace().nth(1).unwrap_or("").to_owned();
            let mut authorization = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("authorization")
                {
                    authorization = Some(value.trim().to_owned());
                }
            }
            log.lock().unwrap().push((path.clone(), authorization));
            let (status, headers, body) = answers
                .lock()
                .unwrap()
                .get(path.split('?').next().unwrap_or_default())
                .cloned()
                .unwrap_or((404, Vec::new(), b"not found".to_vec()));
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    Server { base, seen, routes }
}

/// A tar.gz of `files` (name, content).
fn archive(files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_path(name).unwrap();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, content.as_bytes()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

const MODULE: &str = r#"
variable "name" {}

resource "aws_ecr_repository" "this" {
  name = var.name
}
"#;

fn registry(archive_bytes: Vec<u8>) -> Server {
    let mut routes = HashMap::new();
    routes.insert(
        "/v1/modules/acme/ecr/aws/versions".to_owned(),
        (
            200,
            Vec::new(),
            br#"{"modules": [{"versions": [{"version": "1.0.0"}, {"version": "1.1.0"}, {"version": "2.0.0"}, {"version": "1.2.0-rc1"}]}]}"#.to_vec(),
        ),
    );
    routes.insert(
        "/v1/modules/acme/ecr/aws/1.1.0/download".to_owned(),
        (
            204,
            vec![(
                "X-Terraform-Get",
                "/archives/ecr-1.1.0.tar.gz//modules/repository".to_owned(),
            )],
            Vec::new(),
        ),
    );
    routes.insert(
        "/archives/ecr-1.1.0.tar.gz".to_owned(),
        (200, Vec::new(), archive_bytes),
    );
    serve(routes)
}

/// A root module calling the registry module, a CLI configuration pointing its host at
/// `server`, and an empty cache.
fn workspace(server: &Server) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("root")).unwrap();
    std::fs::write(
        dir.path().join("root/main.tf"),
        "module \"ecr\" {\n  source  = \"registry.example.com/acme/ecr/aws\"\n  version = \"~> 1.0\"\n  name    = \"payments\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("terraformrc"),
        format!(
            "host \"registry.example.com\" {{\n  services = {{\n    \"modules.v1\" = \"{}/v1/modules/\"\n  }}\n}}\n\ncredentials \"127.0.0.1\" {{\n  token = \"loopback-token\"\n}}\n\ncredentials \"registry.example.com\" {{\n  token = \"other-host-token\"\n}}\n",
            server.base
        ),
    )
    .unwrap();
    dir
}

fn check(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("payplat")
        .unwrap()
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", dir.join("terraformrc"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("HOME", dir)
        .args(["check", "--color", "never"])
        .args(args)
        .arg("root")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_registry_module_is_fetched_once_and_then_read_from_the_cache() {
    let server = registry(archive(&[
        ("README.md", "# ecr\n"),
        ("modules/repository/main.tf", MODULE),
    ]));
    let dir = workspace(&server);
    let (status, stdout, stderr) = check(dir.path(), &["--download-modules"]);
    assert_eq!(status, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "module.ecr.aws_ecr_repository.this: the repository does not scan images on push"
        ),
        "{stdout}\n{stderr}"
    );
    let seen = server.seen.lock().unwrap().clone();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v1/modules/acme/ecr/aws/versions",
            "/v1/modules/acme/ecr/aws/1.1.0/download",
            "/archives/ecr-1.1.0.tar.gz"
        ],
        "the newest release `~> 1.0` allows, not the pre-release"
    );
    assert!(
        seen.iter()
            .all(|(_, auth)| auth.as_deref() == Some("Bearer loopback-token")),
        "the token of the host asked, and only it: {seen:?}"
    );
    assert!(!stderr.contains("loopback-token"), "{stderr}");
    assert!(
        dir.path()
            .join("cache/payplat/modules/registry/registry.example.com/acme/ecr/aws/1.1.0/main.tf")
            .is_file()
    );

    // With the cache warm, no request; offline, the same.
    for args in [&["--download-modules"][..], &["--offline"][..]] {
        let (status, again, _) = check(dir.path(), args);
        assert_eq!(status, Some(1));
        assert_eq!(again.lines().count(), stdout.lines().count());
        assert_eq!(server.seen.lock().unwrap().len(), 3, "{args:?}");
    }
}

#[test]
fn an_archive_that_escapes_is_refused_and_the_gate_can_require_it() {
    // Written raw: the tar crate refuses to write `..`.
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut header = tar::Header::new_gnu();
    let name = b"../../escaped.tf";
    header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
    header.set_size(MODULE.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append(&header, MODULE.as_bytes()).unwrap();
    let server = registry(builder.into_inner().unwrap().finish().unwrap());
    let dir = workspace(&server);
    let (status, _, stderr) = check(dir.path(), &["--download-modules"]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("whose path leaves the module's directory: refused"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was checked"), "{stderr}");
    let written: Vec<String> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == "escaped.tf")
        .map(|e| e.path().display().to_string())
        .collect();
    assert!(written.is_empty(), "{written:?}");
    let (status, _, stderr) = check(dir.path(), &["--download-modules", "--require-modules"]);
    assert_eq!(status, Some(2), "{stderr}");
}

#[test]
fn redirects_away_from_https_or_without_end_are_refused() {
    let mut routes = HashMap::new();
    routes.insert(
        "/v1/modules/acme/ecr/aws/versions".to_owned(),
        (
            200,
            Vec::new(),
            br#"{"modules": [{"versions": [{"version": "1.0.0"}, {"version": "1.1.0"}]}]}"#
                .to_vec(),
        ),
    );
    routes.insert(
        "/v1/modules/acme/ecr/aws/1.1.0/download".to_owned(),
        (
            204,
            vec![("X-Terraform-Get", "/archives/away.tar.gz".to_owned())],
            Vec::new(),
        ),
    );
    routes.insert(
        "/archives/away.tar.gz".to_owned(),
        (
            302,
            vec![(
                "Location",
                "http://modules.example.com/ecr.tar.gz".to_owned(),
            )],
            Vec::new(),
        ),
    );
    routes.insert(
        "/v1/modules/acme/ecr/aws/1.0.0/download".to_owned(),
        (
            204,
            vec![("X-Terraform-Get", "/loop.tar.gz".to_owned())],
            Vec::new(),
        ),
    );
    routes.insert(
        "/loop.tar.gz".to_owned(),
        (
            302,
            vec![("Location", "/loop.tar.gz".to_owned())],
            Vec::new(),
        ),
    );
    let server = serve(routes);
    let dir = workspace(&server);
    let (_, _, stderr) = check(dir.path(), &["--download-modules"]);
    assert!(
        stderr.contains("`http://modules.example.com/ecr.tar.gz` is not HTTPS"),
        "{stderr}"
    );
    std::fs::write(
        dir.path().join("root/main.tf"),
        "module \"ecr\" {\n  source  = \"registry.example.com/acme/ecr/aws\"\n  version = \"1.0.0\"\n}\n",
    )
    .unwrap();
    let (_, _, stderr) = check(dir.path(), &["--download-modules"]);
    assert!(stderr.contains("redirects more than 5 times"), "{stderr}");
}

#[test]
fn a_registry_found_by_service_discovery_serves_a_module_that_calls_another() {
    let server = serve(HashMap::new());
    let host = server.base.trim_start_matches("http://").to_owned();
    let platform = archive(&[(
        "main.tf",
        &format!(
            "module \"logs\" {{\n  source  = \"{host}/acme/logs/aws\"\n  version = \">= 2.0, < 3.0\"\n}}\n"
        ),
    )]);
    let mut logs = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    logs.start_file("main.tf", zip::write::SimpleFileOptions::default())
        .unwrap();
    logs.write_all(
        b"resource \"aws_cloudwatch_log_group\" \"this\" {\n  retention_in_days = 1\n}\n",
    )
    .unwrap();
    let logs = logs.finish().unwrap().into_inner();
    let versions = |list: &str| {
        (
            200,
            Vec::new(),
            format!(r#"{{"modules": [{{"versions": [{list}]}}]}}"#).into_bytes(),
        )
    };
    let get = |to: &str| (204, vec![("X-Terraform-Get", to.to_owned())], Vec::new());
    server.routes.lock().unwrap().extend([
        ("/.well-known/terraform.json".to_owned(), (200, Vec::new(), br#"{"modules.v1": "/registry/"}"#.to_vec())),
        ("/registry/acme/platform/aws/versions".to_owned(), versions(r#"{"version": "1.0.0"}"#)),
        ("/registry/acme/platform/aws/1.0.0/download".to_owned(), get("/a/platform.tgz")),
        ("/a/platform.tgz".to_owned(), (200, Vec::new(), platform)),
        (
            "/registry/acme/logs/aws/versions".to_owned(),
            versions(r#"{"version": "1.0.0"}, {"version": "2.1.0"}, {"version": "2.2.0"}, {"version": "3.0.0"}"#),
        ),
        ("/registry/acme/logs/aws/2.2.0/download".to_owned(), get("../../../../../a/logs.zip")),
        ("/a/logs.zip".to_owned(), (200, Vec::new(), logs)),
    ]);
    let dir = workspace(&server);
    std::fs::remove_file(dir.path().join("terraformrc")).unwrap();
    std::fs::write(
        dir.path().join("root/main.tf"),
        format!("module \"platform\" {{\n  source = \"{host}/acme/platform/aws\"\n}}\n"),
    )
    .unwrap();
    let (status, stdout, stderr) = check(dir.path(), &["--download-modules"]);
    assert_eq!(status, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("module.platform.module.logs.aws_cloudwatch_log_group.this"),
        "{stdout}\n{stderr}"
    );
    let seen: Vec<String> = server
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(p, _)| p.clone())
        .collect();
    assert!(
        seen.contains(&"/registry/acme/logs/aws/2.2.0/download".to_owned()),
        "{seen:?}"
    );
}

#[test]
fn a_git_source_is_cloned_at_its_tag() {
    let git = |args: &[&str], at: &Path| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(at)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let repo = tempfile::tempdir().unwrap();
    if !git(&["init", "--quiet", "-b", "main"], repo.path()) {
        eprintln!("skipped: no git on this machine");
        return;
    }
    std::fs::write(repo.path().join("main.tf"), MODULE).unwrap();
    assert!(git(&["add", "main.tf"], repo.path()));
    assert!(git(&["commit", "--quiet", "-m", "v1"], repo.path()));
    assert!(git(&["tag", "v1.0.0"], repo.path()));
    std::fs::write(repo.path().join("main.tf"), "# moved on\n").unwrap();
    assert!(git(&["commit", "--quiet", "-am", "later"], repo.path()));
    // A bare copy served as plain files (git's "dumb" HTTP protocol).
    let served = tempfile::tempdir().unwrap();
    let bare = served.path().join("ecr.git");
    let (from, to) = (repo.path().to_str().unwrap(), bare.to_str().unwrap());
    assert!(git(
        &["clone", "--quiet", "--bare", from, to],
        served.path()
    ));
    assert!(git(&["update-server-info"], &bare));
    let mut routes = HashMap::new();
    for entry in walkdir::WalkDir::new(&bare).into_iter().flatten() {
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(served.path()).unwrap();
            let content = std::fs::read(entry.path()).unwrap();
            routes.insert(
                format!("/{}", relative.display()),
                (200, Vec::new(), content),
            );
        }
    }
    let server = serve(routes);
    let dir = workspace(&server);
    std::fs::write(
        dir.path().join("root/main.tf"),
        format!(
            "module \"ecr\" {{\n  source = \"git::{}/ecr.git?ref=v1.0.0\"\n  name   = \"payments\"\n}}\n",
            server.base
        ),
    )
    .unwrap();
    let (status, stdout, stderr) = check(dir.path(), &["--download-modules"]);
    assert_eq!(status, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("module.ecr.aws_ecr_repository.this"),
        "{stdout}\n{stderr}"
    );
}

#[test]
fn an_archive_heavier_than_the_cap_is_refused_before_it_is_unpacked() {
    let server = registry(vec![0x1f; (64 << 20) + 1]);
    let dir = workspace(&server);
    let (status, _, stderr) = check(dir.path(), &["--download-modules"]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("sends more than 67108864 bytes"),
        "{stderr}"
    );
}

/// A tar.gz of every file under `root`, as a registry would serve a module's repository.
fn tree_archive(root: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(root).unwrap();
            builder
                .append_path_with_name(entry.path(), relative)
                .unwrap();
        }
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// Every finding of a JSON report, as rule, address and verdict, and how many resources were
/// checked.
fn verdicts(report: &str) -> (std::collections::BTreeSet<(String, String, String)>, u64) {
    let report: serde_json::Value = serde_json::from_str(report).unwrap();
    let findings = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let field = |name: &str| f[name].as_str().unwrap_or_default().to_owned();
            (field("rule"), field("address"), field("verdict"))
        })
        .collect();
    (findings, report["summary"]["checked"].as_u64().unwrap())
}

/// Runs `payplat check --format json` on a root module twice: with `--download-modules` against
/// a registry on loopback that serves the corpus's copies of terraform-aws-modules (vpc, eks,
/// iam) at the versions `pins` says, and with those copies laid out in `.terraform/modules` as
/// `terraform init` would. Both runs' verdicts, and how many resources each checked.
#[allow(clippy::type_complexity)]
fn fetched_and_initialised(
    corpus: &Path,
    files: &[(String, String)],
    calls: &[(&str, &str, &str)],
) -> (
    (std::collections::BTreeSet<(String, String, String)>, u64),
    (std::collections::BTreeSet<(String, String, String)>, u64),
) {
    let repository =
        |name: &str| corpus.join(format!("terraform-aws-modules__terraform-aws-{name}"));
    let mut routes = HashMap::new();
    for (_, name, version) in calls {
        let path = format!("/v1/modules/terraform-aws-modules/{name}/aws");
        let listed = format!(
            r#"{{"modules": [{{"versions": [{{"version": "{version}"}}, {{"version": "99.0.0"}}]}}]}}"#
        );
        routes.insert(
            format!("{path}/versions"),
            (200, Vec::new(), listed.into_bytes()),
        );
        routes.insert(
            format!("{path}/{version}/download"),
            (
                204,
                vec![("X-Terraform-Get", format!("/archives/{name}.tar.gz"))],
                Vec::new(),
            ),
        );
        routes.insert(
            format!("/archives/{name}.tar.gz"),
            (200, Vec::new(), tree_archive(&repository(name))),
        );
    }
    let server = serve(routes);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("terraformrc"),
        format!(
            "host \"registry.terraform.io\" {{\n  services = {{\n    \"modules.v1\" = \"{}/v1/modules/\"\n  }}\n}}\n",
            server.base
        ),
    )
    .unwrap();
    let run = |at: &Path, args: &[&str]| {
        let output = Command::cargo_bin("payplat")
            .unwrap()
            .current_dir(dir.path())
            .env("TF_CLI_CONFIG_FILE", dir.path().join("terraformrc"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .env("HOME", dir.path())
            .args(["check", "--format", "json"])
            .args(args)
            .arg(at)
            .output()
            .unwrap();
        verdicts(&String::from_utf8(output.stdout).unwrap())
    };
    let fetched_root = dir.path().join("fetched");
    let initialised_root = dir.path().join("initialised");
    for root in [&fetched_root, &initialised_root] {
        std::fs::create_dir_all(root.join(".terraform/modules")).unwrap();
        for (name, text) in files {
            std::fs::write(root.join(name), text).unwrap();
        }
    }
    let mut modules = vec![serde_json::json!({"Key": "", "Source": "", "Dir": "."})];
    for (key, name, version) in calls {
        modules.push(serde_json::json!({
            "Key": key,
            "Source": format!("registry.terraform.io/terraform-aws-modules/{name}/aws"),
            "Version": version,
            "Dir": repository(name),
        }));
    }
    std::fs::write(
        initialised_root.join(".terraform/modules/modules.json"),
        serde_json::json!({"Modules": modules}).to_string(),
    )
    .unwrap();
    (
        run(&fetched_root, &["--download-modules"]),
        run(&initialised_root, &[]),
    )
}

fn corpus() -> Option<std::path::PathBuf> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus-hcl");
    if corpus.is_dir() {
        return Some(corpus);
    }
    eprintln!("skipped: no {} beside the checkout", corpus.display());
    None
}

#[test]
fn the_eks_tutorial_gets_the_verdicts_terraform_init_would_give_it() {
    let Some(corpus) = corpus() else { return };
    let tutorial = corpus.join("hashicorp__learn-terraform-provision-eks-cluster");
    let files: Vec<(String, String)> = std::fs::read_dir(&tutorial)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "tf"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    let ((fetched, checked), initialised) = fetched_and_initialised(
        &corpus,
        &files,
        &[("vpc", "vpc", "5.8.1"), ("eks", "eks", "20.8.5")],
    );
    assert!(checked > 0, "the tutorial is checked, not `0 checked`");
    assert!(
        fetched
            .iter()
            .any(|(rule, address, _)| rule == "PP201"
                && address == "module.eks.aws_eks_cluster.this[0]"),
        "{fetched:?}"
    );
    assert_eq!((fetched, checked), initialised);
}

#[test]
fn a_fargate_only_platform_of_registry_modules_is_checked_as_after_terraform_init() {
    let Some(corpus) = corpus() else { return };
    // As the AWS EKS Blueprints Fargate pattern writes it.
    let main = r#"
data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 3)
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.0"

  name            = "payments"
  cidr            = "10.0.0.0/16"
  azs             = local.azs
  private_subnets = [for k, v in local.azs : cidrsubnet("10.0.0.0/16", 4, k)]
  public_subnets  = [for k, v in local.azs : cidrsubnet("10.0.0.0/16", 8, k + 48)]
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.0"

  cluster_name    = "payments"
  cluster_version = "1.30"
  vpc_id          = module.vpc.vpc_id
  subnet_ids      = module.vpc.private_subnets

  fargate_profiles = {
    kube_system = {
      name      = "kube-system"
      selectors = [{ namespace = "kube-system" }]
    }
    payments = {
      name      = "payments"
      selectors = [{ namespace = "payments" }]
    }
  }
}
"#;
    let ((fetched, checked), initialised) = fetched_and_initialised(
        &corpus,
        &[("main.tf".to_owned(), main.to_owned())],
        &[("vpc", "vpc", "5.8.1"), ("eks", "eks", "20.8.5")],
    );
    assert!(checked > 0);
    let profiles: Vec<&(String, String, String)> = fetched
        .iter()
        .filter(|(rule, address, _)| rule == "PP401" && address.contains("aws_eks_fargate_profile"))
        .collect();
    assert!(
        profiles
            .iter()
            .any(|(_, address, _)| address.contains("module.fargate_profile[\"kube_system\"]")),
        "the Fargate profiles of module.eks get PP401 verdicts: {fetched:?}"
    );
    assert_eq!((fetched, checked), initialised);
}

#[test]
fn a_missing_module_or_a_bad_archive_is_a_note_naming_the_call_and_why() {
    let server = registry(b"<html>not an archive</html>".to_vec());
    let dir = workspace(&server);
    let (_, _, stderr) = check(dir.path(), &["--download-modules"]);
    assert!(
        stderr.contains("module.ecr (`registry.example.com/acme/ecr/aws`) is not read:")
            && stderr.contains("ecr-1.1.0.tar.gz: a broken tar.gz archive"),
        "{stderr}"
    );
    std::fs::write(
        dir.path().join("root/main.tf"),
        "module \"ecr\" {\n  source = \"registry.example.com/acme/missing/aws\"\n}\n",
    )
    .unwrap();
    let (_, _, stderr) = check(dir.path(), &["--download-modules"]);
    assert!(
        stderr.contains("/v1/modules/acme/missing/aws/versions answers 404"),
        "{stderr}"
    );
}
