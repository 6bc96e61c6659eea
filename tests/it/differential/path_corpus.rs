//! The request targets of the path tests: the variants an outside probe
//! used to walk from a protected path into a bypass path (issue 28), each
//! as a named case, and a generated corpus of their kin: dot segments raw
//! and encoded in every case, empty segments, encoded and raw separators,
//! `;` parameters, backslashes, overlong and fullwidth UTF-8, double
//! encoding, escapes of unreserved characters, queries that are not
//! allowed on a bypass path; in both directions (into a bypass path and
//! out of one), as GET, HEAD and POST.

/// What the gateway must do with a case for an unenrolled user of a
/// required company.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A bypass path in normal form: it reaches the app's public route.
    Public,
    /// Anything else: never the app's protected route; in fact judged
    /// (sent to enrollment) or refused before the app.
    NotServed,
    /// A target whose fragment the HTTP reader drops before anyone reads
    /// it: the gateway and the app both see the path before `#`. It may
    /// reach the app, but only its public route.
    NeverProtected,
}

pub struct PathCase {
    pub family: &'static str,
    pub method: &'static str,
    pub target: Vec<u8>,
    pub expect: Expect,
}

impl PathCase {
    fn new(family: &'static str, method: &'static str, target: &str, expect: Expect) -> PathCase {
        PathCase {
            family,
            method,
            target: target.as_bytes().to_vec(),
            expect,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} {} ({})",
            self.method,
            super::wire::escape(&self.target),
            self.family
        )
    }
}

/// The variants of issue 28, by name: each reached a Flask app on gunicorn
/// as `/admin/...` while the gateway matched it as a bypass path.
pub const NAMED: &[(&str, &str)] = &[
    ("GET", "/admin/users/../../static/x"),
    ("GET", "/admin/../static/x"),
    ("GET", "/admin/users/..//..//static/x"),
    ("GET", "/admin/users/%2e%2e/%2e%2e/static/x"),
    ("GET", "/admin/./../static/x"),
    ("GET", "/admin/users/../../login"),
    ("POST", "/account/delete/../../login"),
];

/// Bypass paths in normal form: they must still reach the app (without
/// them, a gateway that refused everything would pass this test).
const CONTROLS: &[(&str, &str)] = &[
    ("GET", "/static/x"),
    ("GET", "/static/app.css?v=3"),
    ("HEAD", "/static/app.css"),
    ("GET", "/static/sub/deep/x.js"),
    ("GET", "/static/caf%C3%A9.css"),
    ("GET", "/static/a%20b.css"),
    ("GET", "/login"),
    ("POST", "/login"),
];

/// Spellings of a `..` segment.
const DOTS: &[&str] = &["..", "%2e%2e", ".%2e", "%2e.", "%2E%2E", "%2e%2E", ".%2E"];

/// What joins the segments of a walk.
const SEPARATORS: &[&str] = &["/", "//", "/./", "/%2e/"];

/// The whole corpus: controls, named cases, and the generated ones.
pub fn corpus() -> Vec<PathCase> {
    let mut cases = Vec::new();
    for (method, target) in CONTROLS {
        cases.push(PathCase::new("control", method, target, Expect::Public));
    }
    for (method, target) in NAMED {
        cases.push(PathCase::new("issue 28", method, target, Expect::NotServed));
    }
    let not_served =
        |family, method, target: String| PathCase::new(family, method, &target, Expect::NotServed);
    // Into a bypass path from a protected one, one or two levels down.
    for (base, depth) in [("/admin", 1), ("/admin/users", 2)] {
        for dots in DOTS {
            for sep in SEPARATORS {
                let up = vec![*dots; depth].join(sep);
                for goal in ["static/x", "login"] {
                    let target = format!("{base}{sep}{up}{sep}{goal}");
                    cases.push(not_served("walk in", "GET", target));
                }
            }
        }
    }
    // Out of a bypass path into a protected one (an app that resolves dot
    // segments reads these as /admin).
    for dots in DOTS {
        for from in ["/static", "/static/x", "/login"] {
            cases.push(not_served(
                "walk out",
                "GET",
                format!("{from}/{dots}/admin"),
            ));
        }
    }
    for target in [
        // Separators the app may split on, encoded or raw.
        "/admin%2f..%2fstatic/x",
        "/admin%2F..%2Fstatic/x",
        "/admin/..%2fstatic/x",
        "/static%2f..%2fadmin",
        "/admin%5c..%5cstatic%5cx",
        "/admin\\..\\static\\x",
        "/static\\..\\admin",
        "/admin/..\\static/x",
        // Empty segments.
        "//static/x",
        "/static//x",
        "//login",
        "/admin//../static/x",
        // `;` parameters (Tomcat-style `..;`, Spring's matrix variables).
        "/admin;/../static/x",
        "/admin/..;/static/x",
        "/static;x=1/../admin",
        "/static/x;/../../admin",
        "/login;jsessionid=1",
        "/static/x%3b/../../admin",
        // Escapes of unreserved characters, and double encoding.
        "/st%61tic/x",
        "/%73tatic/x",
        "/static%2Fx",
        "/%6cogin",
        "/admin/%252e%252e/static/x",
        "/admin/%25%32%65%25%32%65/static/x",
        // Overlong and fullwidth UTF-8.
        "/admin/%c0%ae%c0%ae/static/x",
        "/admin/%e0%80%ae%e0%80%ae/static/x",
        "/admin%c0%afstatic/x",
        "/admin/%ef%bc%8e%ef%bc%8e/static/x",
        "/admin%ef%bc%8f..%ef%bc%8fstatic/x",
        "/admin/%e2%80%a5/static/x",
        // Controls and whitespace inside a walk.
        "/admin/%00/../static/x",
        "/admin/%09../static/x",
        "/admin/..%20/static/x",
        // Case and near misses: not bypass paths at all.
        "/STATIC/x",
        "/Static/x",
        "/staticx",
        "/static",
        "/login/x",
        "/admin",
        "/admin/users",
    ] {
        cases.push(not_served("spelling", "GET", target.to_owned()));
    }
    // Queries a front controller could route on (Drupal's `?q=`): only
    // `v` is allowed on a bypass path (`bypass_query: [v]`).
    for target in [
        "/static/missing?q=admin/people",
        "/static/app.css?v=3&q=admin",
        "/static/x?v=1;q=admin",
        "/static/x?%71=admin",
        "/login?next=/admin",
        "/login?q=admin/people",
    ] {
        cases.push(not_served("query", "GET", target.to_owned()));
    }
    // A fragment is dropped by the gateway's HTTP reader: the app is sent
    // the path before it, whatever follows.
    for target in [
        "/static/x#/../../admin",
        "/admin#/../static/x",
        "/login#/../admin",
    ] {
        cases.push(PathCase::new(
            "fragment",
            "GET",
            target,
            Expect::NeverProtected,
        ));
    }
    // The same walks with other methods: a form posted through a walk.
    for target in [
        "/admin/../static/x",
        "/account/delete/%2e%2e/%2e%2e/login",
        "/admin/.%2e/login",
    ] {
        for method in ["HEAD", "POST", "PUT", "DELETE"] {
            cases.push(not_served("methods", method, target.to_owned()));
        }
    }
    cases
}
