//! HTTP as module downloads use it: HTTPS only (plain HTTP to loopback alone), redirects
//! followed one by one and each checked, a cap on how many and on what a body may hold. A
//! token goes to its own host only.

use super::config::CliConfig;
use std::time::Duration;

/// How many redirects one request may follow.
const MAX_REDIRECTS: usize = 5;

pub(crate) struct Http {
    agent: ureq::Agent,
}

/// A response: the final URL (after redirects), its status and body, and the header a module
/// registry answers a download with.
pub(crate) struct Fetched {
    pub url: String,
    pub status: u16,
    pub body: Vec<u8>,
    pub terraform_get: Option<String>,
}

impl Http {
    pub(crate) fn new() -> Http {
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .user_agent(concat!("payplat/", env!("CARGO_PKG_VERSION")))
            .build();
        Http {
            agent: config.into(),
        }
    }

    /// GETs `url`, following at most [`MAX_REDIRECTS`] redirects, each to an allowed URL;
    /// reads at most `limit` bytes of the body.
    pub(crate) fn get(&self, url: &str, limit: u64, config: &CliConfig) -> Result<Fetched, String> {
        let mut url = url.to_owned();
        for _ in 0..=MAX_REDIRECTS {
            let host = allowed(&url)?;
            let mut request = self.agent.get(&url);
            if let Some(token) = config.token(&host) {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            let mut response = request
                .call()
                .map_err(|e| format!("{}: {e}", shown(&url)))?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            if (300..400).contains(&status) && status != 304 {
                let location = header("location")
                    .ok_or_else(|| format!("{} redirects without saying where", shown(&url)))?;
                url = joined(&url, &location)?;
                continue;
            }
            let terraform_get = header("x-terraform-get");
            let body = response
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map_err(|e| match e {
                    ureq::Error::BodyExceedsLimit(_) => {
                        format!("{} sends more than {limit} bytes", shown(&url))
                    }
                    other => format!("{}: {other}", shown(&url)),
                })?;
            return Ok(Fetched {
                url,
                status,
                body,
                terraform_get,
            });
        }
        Err(format!(
            "{} redirects more than {MAX_REDIRECTS} times",
            shown(&url)
        ))
    }
}

/// The host of a URL that may be fetched: HTTPS, or plain HTTP to this machine.
fn allowed(url: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{}` is not a URL", shown(url)))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default().to_owned(),
        None => authority.split(':').next().unwrap_or_default().to_owned(),
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(host),
        "http" if loopback => Ok(host),
        _ => Err(format!(
            "`{}` is not HTTPS: payplat fetches modules over HTTPS only (plain HTTP to this machine alone)",
            shown(url)
        )),
    }
}

/// `location` read against `base`: absolute, host-relative (`/x`) or path-relative (`x`).
pub(crate) fn joined(base: &str, location: &str) -> Result<String, String> {
    if location.contains("://") {
        return Ok(location.to_owned());
    }
    let (scheme, rest) = base
        .split_once("://")
        .ok_or_else(|| format!("`{}` is not a URL", shown(base)))?;
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..authority_end]);
    if location.starts_with("//") {
        return Ok(format!("{scheme}:{location}"));
    }
    if location.starts_with('/') {
        return Ok(format!("{origin}{location}"));
    }
    let path = rest[authority_end..]
        .split(['?', '#'])
        .next()
        .unwrap_or_default();
    let directory = &path[..path.rfind('/').map_or(0, |at| at + 1)];
    let directory = if directory.is_empty() { "/" } else { directory };
    let (relative, query) = match location.split_once('?') {
        Some((relative, query)) => (relative, format!("?{query}")),
        None => (location, String::new()),
    };
    // `..` and `.` as RFC 3986 resolves them.
    let joined = format!("{directory}{relative}");
    let mut segments: Vec<&str> = Vec::new();
    let mut parts = joined.split('/').skip(1).peekable();
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
        match part {
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            "." if last => segments.push(""),
            "." => {}
            other => segments.push(other),
        }
    }
    Ok(format!("{origin}/{}{query}", segments.join("/")))
}

/// A URL as shown to the user: without credentials written into it.
pub(crate) fn shown(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://***@{host}{}", &rest[authority_end..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_fetched() {
        assert_eq!(
            allowed("https://registry.example.com/x").unwrap(),
            "registry.example.com"
        );
        assert_eq!(allowed("http://127.0.0.1:8080/x").unwrap(), "127.0.0.1");
        assert_eq!(allowed("http://[::1]:8080/x").unwrap(), "::1");
        assert!(allowed("http://registry.example.com/x").is_err());
        assert!(allowed("http://10.0.0.1/x").is_err());
        assert!(allowed("ftp://example.com/x").is_err());
        assert!(allowed("file:///etc/passwd").is_err());
    }

    #[test]
    fn locations_are_read_against_the_url_they_answer() {
        let base = "https://r.example.com/v1/modules/a/b/c/1.0.0/download";
        assert_eq!(
            joined(base, "https://x.example.com/m.tgz").unwrap(),
            "https://x.example.com/m.tgz"
        );
        assert_eq!(
            joined(base, "/archives/m.tgz").unwrap(),
            "https://r.example.com/archives/m.tgz"
        );
        assert_eq!(
            joined(base, "m.tgz").unwrap(),
            "https://r.example.com/v1/modules/a/b/c/1.0.0/m.tgz"
        );
        assert_eq!(
            joined(base, "../../x/./m.tgz?archive=tgz").unwrap(),
            "https://r.example.com/v1/modules/a/b/x/m.tgz?archive=tgz"
        );
        assert_eq!(
            joined(base, "../../../../../../m.tgz").unwrap(),
            "https://r.example.com/m.tgz"
        );
        assert_eq!(
            shown("https://user:pass@example.com/x"),
            "https://***@example.com/x"
        );
    }
}
