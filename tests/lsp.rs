//! `payplat lsp` driven over stdio as an editor drives it: JSON-RPC with `Content-Length` frames.
//! Then the same from a real editor, Neovim headless, where `nvim` is installed.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

struct Editor {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Editor {
    fn start(root: &Path) -> Editor {
        let mut child = Command::new(env!("CARGO_BIN_EXE_payplat"))
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if output.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                output.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut editor = Editor {
            child,
            input,
            messages,
            next_id: 1,
        };
        let uri = uri(root);
        let response = editor.request(
            "initialize",
            json!({"processId": null, "rootUri": uri, "capabilities": {}}),
        );
        assert_eq!(
            response["result"]["capabilities"]["hoverProvider"],
            json!(true)
        );
        editor.notify("initialized", json!({}));
        editor
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.input.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == json!(id))
    }

    /// The next message that `wanted` picks, within ten seconds.
    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .expect("the server did not send what was expected in time");
            if wanted(&message) {
                return message;
            }
        }
    }

    /// The next diagnostics published for a file.
    fn diagnostics(&mut self, file: &Path) -> Vec<Value> {
        let uri = uri(file);
        let published = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(uri)
        });
        published["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

const CLUSTER: &str = r#"resource "aws_subnet" "a" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.0.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_eks_cluster" "main" {
  name                      = "payments"
  role_arn                  = "arn:aws:iam::111122223333:role/eks"
  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  vpc_config {
    subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]
  }
}

resource "aws_ecr_repository" "payment" {
  name = "payment"
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "app"
  retention_in_days = var.days
}
"#;

fn code(diagnostic: &Value) -> &str {
    diagnostic["code"].as_str().unwrap_or_default()
}

#[test]
fn an_editor_sees_findings_with_their_trace_fixes_them_and_gets_nothing_left() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let main = root.join("main.tf");
    let tfvars = root.join("terraform.tfvars");
    std::fs::write(&main, "").unwrap();
    std::fs::write(
        root.join("variables.tf"),
        "variable \"days\" {\n  type = number\n}\n",
    )
    .unwrap();
    std::fs::write(&tfvars, "days = 30\n").unwrap();
    let mut editor = Editor::start(&root);
    editor.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&main), "languageId": "terraform", "version": 1, "text": CLUSTER}}),
    );
    let diagnostics = editor.diagnostics(&main);
    let mut codes: Vec<&str> = diagnostics.iter().map(code).collect();
    codes.sort();
    assert_eq!(codes, ["PP101", "PP401"], "{diagnostics:#?}");
    let ecr = diagnostics.iter().find(|d| code(d) == "PP101").unwrap();
    assert_eq!(ecr["range"]["start"], json!({"line": 22, "character": 0}));
    assert_eq!(ecr["severity"], json!(1));
    assert!(
        ecr["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .contains("PP101")
    );
    let zones = diagnostics.iter().find(|d| code(d) == "PP401").unwrap();
    assert_eq!(zones["range"]["start"]["line"], json!(18));
    let related = zones["relatedInformation"].as_array().expect("the trace");
    assert!(
        related
            .iter()
            .any(|r| r["message"].as_str().unwrap().contains("aws_subnet.a")),
        "{related:#?}"
    );
    assert_eq!(related[0]["location"]["uri"], json!(uri(&main)));

    // The quick fix is the edit `payplat fix` makes, with "suppress with a reason" beside it.
    let actions = editor.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&main)}, "range": ecr["range"], "context": {"diagnostics": [ecr]}}),
    );
    let actions = actions["result"].as_array().unwrap();
    let fix = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Fix PP101"))
        .unwrap();
    assert_eq!(fix["isPreferred"], json!(true));
    let edit = &fix["edit"]["changes"][uri(&main)][0];
    assert!(
        edit["newText"]
            .as_str()
            .unwrap()
            .contains("scan_on_push = true"),
        "{edit}"
    );
    let suppress = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress PP101"))
        .unwrap();
    assert_eq!(
        suppress["edit"]["changes"][uri(&main)][0]["newText"],
        json!("# payplat:ignore PP101 reason=\"\"\n")
    );

    // Hovering over the repository shows the rules that checked it.
    let hover = editor.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&main)}, "position": {"line": 23, "character": 4}}),
    );
    let shown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("PP101") && shown.contains("fail"), "{shown}");

    // A payplat.toml written beside it is read again: its `ignore` applies at once.
    let config = root.join("payplat.toml");
    for (text, expected) in [
        ("ignore = [\"PP101\"]\n", vec!["PP401"]),
        ("", vec!["PP101", "PP401"]),
    ] {
        std::fs::write(&config, text).unwrap();
        editor.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": uri(&config), "type": 2}]}),
        );
        let diagnostics = editor.diagnostics(&main);
        let mut codes: Vec<&str> = diagnostics.iter().map(code).collect();
        codes.sort();
        assert_eq!(codes, expected, "{diagnostics:#?}");
    }

    // An unsaved tfvars buffer changes what main.tf gets: its diagnostics come again.
    editor.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&tfvars), "languageId": "terraform-vars", "version": 1, "text": "days = 1\n"}}),
    );
    let diagnostics = editor.diagnostics(&main);
    assert!(
        diagnostics.iter().any(|d| code(d) == "PP501"),
        "{diagnostics:#?}"
    );

    // A file that does not parse: one diagnostic at the break; the other files are still checked.
    editor.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&main), "version": 2}, "contentChanges": [{"text": "resource \"aws_ecr_repository\" \"x\" {\n  name = \n"}]}),
    );
    let diagnostics = editor.diagnostics(&main);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["severity"], json!(1));

    // The fixed text: nothing left, in either file.
    let fixed = CLUSTER
        .replace(
            "  name = \"payment\"\n",
            "  name = \"payment\"\n\n  image_scanning_configuration {\n    scan_on_push = true\n  }\n",
        )
        .replace("aws_subnet.b.id]", "aws_subnet.b.id, aws_subnet.c.id]")
        + "\nresource \"aws_subnet\" \"c\" {\n  vpc_id            = \"vpc-1\"\n  cidr_block        = \"10.0.2.0/24\"\n  availability_zone = \"us-east-1c\"\n}\n";
    editor.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&tfvars), "version": 2}, "contentChanges": [{"text": "days = 30\n"}]}),
    );
    editor.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&main), "version": 3}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(editor.diagnostics(&main), Vec::<Value>::new());

    let shutdown = editor.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    editor.notify("exit", Value::Null);
    let status = editor.child.wait().unwrap();
    assert!(status.success());
}

/// A minimal Neovim configuration: start `payplat lsp` for the file, wait for diagnostics, write
/// `vim.diagnostic.get()` as JSON. The calls are those of Neovim 0.7 (Debian's) and later.
const NEOVIM_CONFIG: &str = r#"
local file, out = vim.env.PAYPLAT_FILE, vim.env.PAYPLAT_OUT
vim.cmd('edit ' .. vim.fn.fnameescape(file))
local client = vim.lsp.start_client({
  name = 'payplat',
  cmd = { vim.env.PAYPLAT_BIN, 'lsp' },
  root_dir = vim.fn.fnamemodify(file, ':h'),
})
vim.lsp.buf_attach_client(0, client)
local arrived = vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local found = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  local lsp = (d.user_data or {}).lsp or {}
  table.insert(found, { lnum = d.lnum, col = d.col, code = d.code or lsp.code, message = d.message, severity = d.severity })
end
vim.fn.writefile({ vim.fn.json_encode({ arrived = arrived, diagnostics = found }) }, out)
vim.cmd('qall!')
"#;

#[test]
fn neovim_shows_the_findings_of_a_fixture() {
    let Ok(nvim) = which("nvim") else {
        eprintln!("skipped: `nvim` is not installed (scripts/test installs Debian's neovim)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rules/PP101-ecr-scan-on-push/fail/no-scanning-block.tf");
    let file = root.join("main.tf");
    std::fs::copy(fixture, &file).unwrap();
    let config = root.join("init.lua");
    std::fs::write(&config, NEOVIM_CONFIG).unwrap();
    let out = root.join("diagnostics.json");
    let status = Command::new(nvim)
        .args(["--headless", "--clean", "-c"])
        .arg(format!("luafile {}", config.display()))
        .env("PAYPLAT_FILE", &file)
        .env("PAYPLAT_OUT", &out)
        .env("PAYPLAT_BIN", env!("CARGO_BIN_EXE_payplat"))
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["arrived"], json!(true), "{written}");
    let diagnostics = written["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{written}");
    assert_eq!(diagnostics[0]["code"], json!("PP101"));
    assert_eq!(diagnostics[0]["lnum"], json!(3), "{written}");
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .contains("does not scan images on push")
    );
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}
