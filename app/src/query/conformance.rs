//! The conformance suite: what analysts type in their first weeks with
//! Kibana (KQL and Lucene query strings), the examples of KQL's grammar and
//! of Elasticsearch's query-string reference, and Vigil's own forms — each
//! with how it must read: a canonical form, the same reading as another
//! query, a warning, or an error at a position.

use super::{parse, parse_with_warnings};

/// How a query must read.
enum Expect {
    /// Parses and prints in canonical form as given.
    Prints(&'static str),
    /// Parses to the same query as the other text.
    Same(&'static str),
    /// Parses, prints as given, and warns with this fragment.
    Warns(&'static str, &'static str),
    /// Fails at the position with a message holding the fragment.
    Fails(usize, &'static str),
}

use Expect::{Fails, Prints, Same, Warns};

const CASES: &[(&str, Expect)] = &[
    // Everything.
    ("", Prints("")),
    ("*", Prints("")),
    ("*:*", Prints("")),
    ("  *  ", Prints("")),
    ("* AND host.name:web01", Prints("host.name:web01")),
    ("host.name:web01 OR *", Prints("")),
    ("NOT *", Prints("NOT *")),
    // Fields and values.
    ("host.name:web01", Prints("host.name:web01")),
    ("host.name: web01", Prints("host.name:web01")),
    ("host.name : web01", Prints("host.name:web01")),
    ("host.name:\"web01\"", Prints("host.name:\"web01\"")),
    ("event.outcome:failure", Prints("event.outcome:failure")),
    ("user.name:root", Prints("user.name:root")),
    (
        "http.response.status_code:404",
        Prints("http.response.status_code:404"),
    ),
    ("source.ip:10.0.0.1", Prints("source.ip:10.0.0.1")),
    ("source.ip:10.0.0.0/8", Prints("source.ip:10.0.0.0/8")),
    (
        "source.ip:2001:db8::1",
        Prints("source.ip:2001\\:db8\\:\\:1"),
    ),
    ("related.ip:81.2.69.0/24", Prints("related.ip:81.2.69.0/24")),
    ("url.path:/api/v1/users", Prints("url.path:/api/v1/users")),
    ("url.original:*admin*", Prints("url.original:*admin*")),
    ("process.name:power*", Prints("process.name:power*")),
    (
        "process.name:powershell?exe",
        Prints("process.name:powershell?exe"),
    ),
    (
        "file.path:C\\:\\\\Windows\\\\*",
        Prints("file.path:C\\:\\\\Windows\\\\*"),
    ),
    ("user.name:*", Prints("user.name:*")),
    ("tags:ssh", Prints("tags:ssh")),
    ("event.code:4625", Prints("event.code:4625")),
    ("winlog.event_id:4624", Prints("winlog.event_id:4624")),
    ("@timestamp:*", Prints("@timestamp:*")),
    (
        "dns.question.name:*.example.com",
        Prints("dns.question.name:*.example.com"),
    ),
    ("bytes:-5", Prints("bytes:\\-5")),
    ("x:-", Prints("x:\\-")),
    ("labels.env:prod-eu", Prints("labels.env:prod-eu")),
    // Free text.
    ("whoami", Prints("whoami")),
    ("certutil.exe", Prints("certutil.exe")),
    ("\"failed password\"", Prints("\"failed password\"")),
    ("fail*", Prints("fail*")),
    (
        "\"failed password\" root",
        Prints("\"failed password\" AND root"),
    ),
    ("failed password", Prints("failed AND password")),
    ("oregon", Prints("oregon")),
    ("android", Prints("android")),
    ("notepad.exe", Prints("notepad.exe")),
    ("order", Prints("order")),
    ("10.0.0.1", Prints("10.0.0.1")),
    // Operators in any case (KQL), with KQL's precedence.
    ("a AND b", Prints("a AND b")),
    ("a and b", Same("a AND b")),
    ("a And b", Same("a AND b")),
    ("a OR b", Prints("a OR b")),
    ("a or b", Same("a OR b")),
    ("NOT a", Prints("NOT a")),
    ("not a", Same("NOT a")),
    ("a && b", Same("a AND b")),
    ("a || b", Same("a OR b")),
    ("a OR b AND c", Prints("a OR b AND c")),
    ("a AND b OR c", Prints("a AND b OR c")),
    ("(a OR b) AND c", Prints("(a OR b) AND c")),
    ("NOT (a OR b)", Prints("NOT (a OR b)")),
    ("not (a or b) and c", Same("NOT (a OR b) AND c")),
    ("a AND NOT b", Prints("a AND NOT b")),
    ("a and not b", Same("a AND NOT b")),
    ("NOT NOT a", Prints("NOT NOT a")),
    ("-a", Same("NOT a")),
    ("!a", Same("NOT a")),
    ("+a", Same("a")),
    ("+a +b -c", Same("a AND b AND NOT c")),
    ("a -b", Same("a AND NOT b")),
    (
        "event.outcome:failure or user.name:admin",
        Same("event.outcome:failure OR user.name:admin"),
    ),
    (
        "http.response.status_code >= 400 and http.response.status_code < 500",
        Same("http.response.status_code >= 400 AND http.response.status_code < 500"),
    ),
    ("not user.name:root", Same("NOT user.name:root")),
    ("-user.name:root", Same("NOT user.name:root")),
    ("!user.name:root", Same("NOT user.name:root")),
    ("\"or\"", Prints("\"or\"")),
    ("\\or", Prints("\\or")),
    ("message:\"and\"", Prints("message:\"and\"")),
    ("a or", Fails(4, "a search term")),
    ("and", Fails(0, "a search term")),
    ("a AND", Fails(5, "a search term")),
    ("OR a", Fails(0, "a search term")),
    ("a OR OR b", Fails(5, "a search term")),
    ("NOT", Fails(3, "a search term")),
    // Lists of values.
    (
        "user.name:(root OR admin)",
        Prints("user.name:root OR user.name:admin"),
    ),
    (
        "user.name:(root or admin)",
        Same("user.name:(root OR admin)"),
    ),
    (
        "user.name:(root OR admin OR guest)",
        Prints("user.name:root OR user.name:admin OR user.name:guest"),
    ),
    ("tags:(ssh AND prod)", Prints("tags:ssh AND tags:prod")),
    (
        "user.name:(\"a b\" OR c)",
        Prints("user.name:\"a b\" OR user.name:c"),
    ),
    (
        "user.name:(root admin)",
        Fails(16, "OR or AND between the values"),
    ),
    ("user.name:()", Fails(11, "a value")),
    ("user.name:(root OR)", Fails(18, "a value")),
    ("user.name:(root", Fails(15, "')' in the list")),
    // Ranges and comparisons.
    (
        "http.response.status_code >= 400",
        Prints("http.response.status_code:[400 TO *]"),
    ),
    (
        "http.response.status_code>=400",
        Same("http.response.status_code >= 400"),
    ),
    (
        "http.response.status_code:>=400",
        Same("http.response.status_code >= 400"),
    ),
    (
        "http.response.status_code:>400",
        Same("http.response.status_code > 400"),
    ),
    (
        "http.response.status_code:<400",
        Same("http.response.status_code < 400"),
    ),
    (
        "http.response.status_code:<=400",
        Same("http.response.status_code <= 400"),
    ),
    (
        "http.response.status_code > 400",
        Prints("http.response.status_code:{400 TO *]"),
    ),
    (
        "http.response.status_code < 400",
        Prints("http.response.status_code:[* TO 400}"),
    ),
    (
        "http.response.status_code <= 400",
        Prints("http.response.status_code:[* TO 400]"),
    ),
    (
        "http.response.status_code:[400 TO 499]",
        Prints("http.response.status_code:[400 TO 499]"),
    ),
    (
        "http.response.status_code:[400 TO 500}",
        Prints("http.response.status_code:[400 TO 500}"),
    ),
    (
        "http.response.status_code:{400 TO 500]",
        Prints("http.response.status_code:{400 TO 500]"),
    ),
    (
        "http.response.status_code:[400 TO *]",
        Prints("http.response.status_code:[400 TO *]"),
    ),
    (
        "http.response.status_code:[* TO 400]",
        Prints("http.response.status_code:[* TO 400]"),
    ),
    ("bytes:[* TO *]", Prints("bytes:[* TO *]")),
    ("rule.id >= 1000", Prints("rule.id:[1000 TO *]")),
    (
        "related.ip:[81.2.69.0 TO 81.2.69.255]",
        Prints("related.ip:[81.2.69.0 TO 81.2.69.255]"),
    ),
    ("user.name:[a TO m]", Prints("user.name:[a TO m]")),
    ("x:[1 2]", Fails(5, "TO between the bounds")),
    ("x:[1 TO 2", Fails(9, "']' or '}'")),
    ("x:[a* TO b]", Fails(3, "wildcards cannot be range bounds")),
    ("x >= *", Fails(0, "a comparison needs a value")),
    ("x >=", Fails(4, "a range bound")),
    ("x|contains>3", Fails(0, "not with a comparison")),
    // Times: date math, dates, zone-less times, epoch milliseconds.
    ("@timestamp >= now-1h", Prints("@timestamp:[now-1h TO *]")),
    (
        "@timestamp:[now-1h TO now]",
        Prints("@timestamp:[now-1h TO now]"),
    ),
    (
        "@timestamp:[now-1d/d TO now/d]",
        Prints("@timestamp:[now-1d/d TO now/d]"),
    ),
    ("@timestamp > now-15m", Prints("@timestamp:{now-15m TO *]")),
    (
        "@timestamp >= 2026-12-03",
        Prints("@timestamp:[2026-12-03 TO *]"),
    ),
    ("@timestamp:2026-12-03", Prints("@timestamp:2026-12-03")),
    ("@timestamp:now/d", Prints("@timestamp:now/d")),
    ("@timestamp:now-1w/w", Prints("@timestamp:now-1w/w")),
    (
        "@timestamp >= now-1M/M",
        Prints("@timestamp:[now-1M/M TO *]"),
    ),
    ("@timestamp >= now-1y", Prints("@timestamp:[now-1y TO *]")),
    (
        "@timestamp < 2026-12-03T10:00",
        Prints("@timestamp:[* TO 2026-12-03T10\\:00}"),
    ),
    (
        "@timestamp >= \"2026-12-03 10:00:00\"",
        Prints("@timestamp:[2026-12-03\\ 10\\:00\\:00 TO *]"),
    ),
    (
        "@timestamp:2026-12-03T10:00:00Z",
        Prints("@timestamp:2026-12-03T10\\:00\\:00Z"),
    ),
    (
        "@timestamp >= 2026-12-03T10:00:00+01:00",
        Prints("@timestamp:[2026-12-03T10\\:00\\:00+01\\:00 TO *]"),
    ),
    (
        "@timestamp >= 1764777600000",
        Prints("@timestamp:[1764777600000 TO *]"),
    ),
    ("@timestamp:2026-12", Prints("@timestamp:2026-12")),
    (
        "@timestamp:2026-12-03||+1d",
        Prints("@timestamp:2026-12-03||+1d"),
    ),
    (
        "@timestamp:(2026-12-01 OR 2026-12-02)",
        Prints("@timestamp:2026-12-01 OR @timestamp:2026-12-02"),
    ),
    ("@timestamp|hour:9", Prints("@timestamp|hour:9")),
    ("@timestamp:yesterday", Fails(11, "not a time")),
    ("@timestamp >= now-", Fails(14, "not a time")),
    ("@timestamp >= now-1q", Fails(14, "not a time")),
    ("@timestamp:2026-13-01", Fails(11, "not a time")),
    (
        "@timestamp:2026-12*",
        Fails(11, "wildcards do not apply to times"),
    ),
    ("@timestamp:[now-1h TO soon]", Fails(22, "not a time")),
    ("@timestamp:(now/d OR later)", Fails(21, "not a time")),
    // Existence.
    ("_exists_:user.name", Same("user.name:*")),
    ("NOT _exists_:user.name", Same("NOT user.name:*")),
    ("-_exists_:user.name", Same("NOT user.name:*")),
    (
        "_exists_:user.name AND host.name:web01",
        Same("user.name:* AND host.name:web01"),
    ),
    ("_exists_:", Fails(9, "a field name after '_exists_:'")),
    ("_exists_:\"x\"", Fails(9, "a field name after '_exists_:'")),
    ("_exists_:fo*", Fails(9, "not a field name")),
    ("_exists_", Prints("_exists_")),
    // Lucene regular expressions: whole values, case-sensitive.
    (
        "url.original:/.*admin.*/",
        Prints("url.original|re:\"^(?:.*admin.*)$\""),
    ),
    ("user.name:/r.*t/", Prints("user.name|re:\"^(?:r.*t)$\"")),
    (
        "host.name:/web0[1-3]/",
        Prints("host.name|re:\"^(?:web0[1-3])$\""),
    ),
    (
        "host.name:/web0[^1]/",
        Prints("host.name|re:\"^(?:web0[^1])$\""),
    ),
    (
        "host.name:/(web|db)[0-9]+/",
        Prints("host.name|re:\"^(?:(web|db)[0-9]+)$\""),
    ),
    (
        "host.name:/web.{2}/",
        Prints("host.name|re:\"^(?:web.{2})$\""),
    ),
    (
        "file.name:/a\\.exe/",
        Prints("file.name|re:\"^(?:a\\\\.exe)$\""),
    ),
    (
        "file.name:/a$b^/",
        Prints("file.name|re:\"^(?:a\\\\$b\\\\^)$\""),
    ),
    (
        "url.path:/\\/api\\/.*/",
        Prints("url.path|re:\"^(?:\\\\/api\\\\/.*)$\""),
    ),
    (
        "host.name:/\"a.b\"c/",
        Prints("host.name|re:\"^(?:(?:a\\\\.b)c)$\""),
    ),
    (
        "(host.name:/web.*/)",
        Prints("host.name|re:\"^(?:web.*)$\""),
    ),
    (
        "host.name:/web.*/ OR x",
        Prints("host.name|re:\"^(?:web.*)$\" OR x"),
    ),
    (
        "host.name:/a~b/",
        Fails(12, "optional regular expression operator '~'"),
    ),
    ("host.name:/a&b/", Fails(12, "'&'")),
    ("host.name:/a@/", Fails(12, "'@'")),
    ("host.name:/<1-5>/", Fails(11, "'<'")),
    ("host.name:/[a/", Fails(13, "never closed")),
    ("host.name:/[]/", Fails(11, "empty character class")),
    ("host.name:/a\"b/", Fails(12, "never closed")),
    (
        "host.name:/x\\d/",
        Warns("the letter d", "host.name|re:\"^(?:xd)$\""),
    ),
    ("url.path:/api/v1", Prints("url.path:/api/v1")),
    ("url.path:/", Prints("url.path:/")),
    (
        "url.path:/ OR url.path:/",
        Prints("url.path:/ OR url.path:/"),
    ),
    (
        "host.name:/web\\ 01/",
        Prints("host.name|re:\"^(?:web 01)$\""),
    ),
    (
        "event.created >= now-1h",
        Prints("event.created:[now-1h TO *]"),
    ),
    ("event.created:yesterday", Fails(14, "not a time")),
    (
        "process.start:2026-12*",
        Fails(14, "wildcards do not apply to times"),
    ),
    ("url.path://", Prints("url.path://")),
    ("/etc/passwd/", Prints("\\/etc/passwd/")),
    ("/etc/passwd", Prints("/etc/passwd")),
    // Fuzzy, proximity and boost: refused by name.
    ("root~", Fails(4, "fuzzy search")),
    ("root~2", Fails(4, "fuzzy search")),
    ("user.name:root~1", Fails(14, "fuzzy search")),
    ("\"failed password\"~3", Fails(17, "proximity search")),
    ("user.name:root^2", Fails(14, "boosting")),
    ("\"failed\"^2", Fails(8, "boosting")),
    ("(a OR b)^2", Fails(8, "boosting")),
    ("PROGRA~1", Fails(6, "fuzzy search")),
    ("\"PROGRA~1\"", Prints("\"PROGRA~1\"")),
    ("PROGRA\\~1", Prints("PROGRA\\~1")),
    ("a~b", Prints("a\\~b")),
    ("$~-x", Prints("$\\~-x")),
    ("p^o^w^e^r", Prints("p\\^o\\^w\\^e\\^r")),
    ("x^", Prints("x\\^")),
    // Not operators.
    ("status != 200", Fails(7, "'!=' is not an operator")),
    ("status = 200", Fails(7, "'=' is not an operator")),
    ("status == 200", Fails(7, "'==' is not an operator")),
    ("user=root", Prints("user=root")),
    // Found by the query_round_trip fuzz target: escaped, these are words.
    ("\\=", Prints("\\=")),
    ("\\!=", Prints("\\!=")),
    ("o<\"=\"", Prints("o:[* TO \\=}")),
    (
        "d: / ODW   *s *s * / ",
        Warns("read as one value", "d:\\/\\ ODW\\ *s\\ *s\\ *\\ /"),
    ),
    ("d:\\/a*/", Prints("d:\\/a*/")),
    ("x:\"!\"", Prints("x:\"!\"")),
    ("! a", Fails(0, "'!' is not an operator")),
    // Where KQL and Lucene differ: read as KQL, with a warning.
    (
        "source.geo.city_name:New York",
        Warns("read as one value", "source.geo.city_name:New\\ York"),
    ),
    (
        "source.geo.city_name:New York OR x:y",
        Warns(
            "read as one value",
            "source.geo.city_name:New\\ York OR x:y",
        ),
    ),
    (
        "host.name:web01 failed",
        Warns("read as one value", "host.name:web01\\ failed"),
    ),
    (
        "process.name:cmd *.exe",
        Warns("read as one value", "process.name:cmd\\ *.exe"),
    ),
    (
        "user.name:root user.name:admin",
        Warns(
            "side by side are read as AND",
            "user.name:root AND user.name:admin",
        ),
    ),
    (
        "host.name:web01 \"failed password\"",
        Warns(
            "side by side are read as AND",
            "host.name:web01 AND \"failed password\"",
        ),
    ),
    (
        "process.executable:\"C:\\Windows\\System32\\cmd.exe\"",
        Warns(
            "backslash before 'W' is kept",
            "process.executable:\"C:\\\\Windows\\\\System32\\\\cmd.exe\"",
        ),
    ),
    (
        "process.executable:\"C:\\\\Windows\\\\cmd.exe\"",
        Prints("process.executable:\"C:\\\\Windows\\\\cmd.exe\""),
    ),
    (
        "message:\"say \\\"hi\\\"\"",
        Prints("message:\"say \\\"hi\\\"\""),
    ),
    (
        "CommandLine|re:\"\\s-enc\"",
        Prints("CommandLine|re:\"\\\\s-enc\""),
    ),
    (
        "_id:0193a2b4-0000-7000-8000-000000000001",
        Warns(
            "read as event.id",
            "event.id:0193a2b4-0000-7000-8000-000000000001",
        ),
    ),
    (
        "_index:logs-*",
        Warns("Vigil has no indices", "_index:logs-*"),
    ),
    // Errors keep positions.
    ("host.name:", Fails(10, "a value after 'host.name:'")),
    ("(a OR b", Fails(7, "')' to close the group")),
    ("\"open", Fails(0, "never closed")),
    ("a ) b", Fails(2, "expected AND, OR")),
    ("fo*o:x", Fails(0, "not a field name")),
    ("()", Fails(0, "empty parentheses")),
    ("a\\", Fails(1, "backslash at the end")),
    ("é:x", Fails(0, "not a field name")),
    ("*:x", Fails(0, "*:* means every event")),
    ("user.name:ro\0ot", Fails(12, "NUL")),
    // Sigma's modifiers and Vigil's own.
    (
        "CommandLine|contains:\"-enc \"",
        Prints("CommandLine|contains:\"-enc \""),
    ),
    (
        "Image|endswith:\\\\cmd.exe",
        Prints("Image|endswith:\\\\cmd.exe"),
    ),
    ("user.name|i:ROOT", Prints("user.name|i:ROOT")),
    (
        "source.ip|cidr:10.0.0.0/8",
        Prints("source.ip|cidr:10.0.0.0/8"),
    ),
    ("source.ip|in:tor-exits", Prints("source.ip|in:tor-exits")),
    (
        "message|contains|in:iocs",
        Prints("message|contains|in:iocs"),
    ),
    (
        "TargetUserName|fieldref:SubjectUserName",
        Prints("TargetUserName|fieldref:SubjectUserName"),
    ),
    (
        "cs-uri-query|contains:\\~1",
        Prints("cs-uri-query|contains:\\~1"),
    ),
    ("cs-uri-query|contains:~1", Fails(22, "fuzzy search")),
    ("a|nope:b", Fails(2, "unknown modifier 'nope'")),
    // A first week in a SOC: Windows, sshd, web and firewall logs.
    (
        "event.code:4625 AND user.name:administrator",
        Prints("event.code:4625 AND user.name:administrator"),
    ),
    (
        "event.code:(4624 OR 4625) AND NOT user.name:SYSTEM",
        Prints("(event.code:4624 OR event.code:4625) AND NOT user.name:SYSTEM"),
    ),
    (
        "winlog.event_id:4688 and process.name:cmd.exe",
        Same("winlog.event_id:4688 AND process.name:cmd.exe"),
    ),
    (
        "process.name:powershell.exe AND process.command_line:*-enc*",
        Prints("process.name:powershell.exe AND process.command_line:*-enc*"),
    ),
    (
        "process.command_line:*\\-EncodedCommand*",
        Prints("process.command_line:*-EncodedCommand*"),
    ),
    (
        "process.parent.name:winword.exe and process.name:(cmd.exe or powershell.exe)",
        Same(
            "process.parent.name:winword.exe AND (process.name:cmd.exe OR process.name:powershell.exe)",
        ),
    ),
    (
        "file.extension:(exe OR dll OR ps1)",
        Prints("file.extension:exe OR file.extension:dll OR file.extension:ps1"),
    ),
    (
        "registry.path:*\\\\CurrentVersion\\\\Run*",
        Prints("registry.path:*\\\\CurrentVersion\\\\Run*"),
    ),
    (
        "process.hash.sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        Prints(
            "process.hash.sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    ),
    (
        "event.category:authentication and event.outcome:failure",
        Same("event.category:authentication AND event.outcome:failure"),
    ),
    (
        "event.action:ssh_login AND event.outcome:failure AND source.ip:81.2.69.0/24",
        Prints("event.action:ssh_login AND event.outcome:failure AND source.ip:81.2.69.0/24"),
    ),
    (
        "\"Failed password for invalid user\"",
        Prints("\"Failed password for invalid user\""),
    ),
    (
        "\"Accepted publickey\" AND user.name:deploy",
        Prints("\"Accepted publickey\" AND user.name:deploy"),
    ),
    (
        "sshd AND \"authentication failure\"",
        Prints("sshd AND \"authentication failure\""),
    ),
    (
        "not source.ip:10.0.0.0/8 and not source.ip:192.168.0.0/16",
        Same("NOT source.ip:10.0.0.0/8 AND NOT source.ip:192.168.0.0/16"),
    ),
    (
        "source.ip:(10.0.0.0/8 OR 172.16.0.0/12 OR 192.168.0.0/16)",
        Prints("source.ip:10.0.0.0/8 OR source.ip:172.16.0.0/12 OR source.ip:192.168.0.0/16"),
    ),
    (
        "destination.port:(22 OR 3389 OR 445)",
        Prints("destination.port:22 OR destination.port:3389 OR destination.port:445"),
    ),
    (
        "destination.port >= 1024 and network.transport:tcp",
        Same("destination.port:[1024 TO *] AND network.transport:tcp"),
    ),
    (
        "network.bytes > 1000000",
        Prints("network.bytes:{1000000 TO *]"),
    ),
    (
        "http.request.method:POST AND url.path:*login*",
        Prints("http.request.method:POST AND url.path:*login*"),
    ),
    (
        "http.response.status_code:[500 TO 599]",
        Prints("http.response.status_code:[500 TO 599]"),
    ),
    (
        "http.response.status_code >= 400 AND NOT http.response.status_code:404",
        Prints("http.response.status_code:[400 TO *] AND NOT http.response.status_code:404"),
    ),
    (
        "user_agent.original:*sqlmap*",
        Prints("user_agent.original:*sqlmap*"),
    ),
    (
        "user_agent.original:(*nikto* OR *sqlmap* OR *nmap*)",
        Prints(
            "user_agent.original:*nikto* OR user_agent.original:*sqlmap* OR user_agent.original:*nmap*",
        ),
    ),
    ("url.original:*..%2f*", Prints("url.original:*..%2f*")),
    (
        "url.query:*union*select*",
        Prints("url.query:*union*select*"),
    ),
    (
        "url.original:*\\/etc\\/passwd*",
        Prints("url.original:*/etc/passwd*"),
    ),
    (
        "url.original:\"/wp-login.php\"",
        Prints("url.original:\"/wp-login.php\""),
    ),
    (
        "dns.question.name:*.onion OR dns.question.name:*.bit",
        Prints("dns.question.name:*.onion OR dns.question.name:*.bit"),
    ),
    (
        "host.name:web* and not host.name:web-test*",
        Same("host.name:web* AND NOT host.name:web-test*"),
    ),
    (
        "host.name:(web01 or web02) and event.dataset:nginx.access",
        Same("(host.name:web01 OR host.name:web02) AND event.dataset:nginx.access"),
    ),
    ("agent.type:filebeat", Prints("agent.type:filebeat")),
    (
        "log.level:(error OR critical)",
        Prints("log.level:error OR log.level:critical"),
    ),
    (
        "log.level:error and message:*timeout*",
        Same("log.level:error AND message:*timeout*"),
    ),
    (
        "tags:(ssh AND NOT test)",
        Prints("tags:ssh AND NOT tags:test"),
    ),
    (
        "user.name:root AND source.ip:* AND NOT source.ip:127.0.0.1",
        Prints("user.name:root AND source.ip:* AND NOT source.ip:127.0.0.1"),
    ),
    (
        "observer.name:fw01 AND event.action:deny",
        Prints("observer.name:fw01 AND event.action:deny"),
    ),
    (
        "event.action:(deny OR drop OR reject)",
        Prints("event.action:deny OR event.action:drop OR event.action:reject"),
    ),
    (
        "destination.geo.country_iso_code:(RU OR CN OR KP)",
        Prints(
            "destination.geo.country_iso_code:RU OR destination.geo.country_iso_code:CN OR destination.geo.country_iso_code:KP",
        ),
    ),
    (
        "source.geo.city_name:\"New York\"",
        Prints("source.geo.city_name:\"New York\""),
    ),
    ("process.args:\"-nop\"", Prints("process.args:\"-nop\"")),
    (
        "@timestamp >= now-24h AND event.outcome:failure",
        Prints("@timestamp:[now-24h TO *] AND event.outcome:failure"),
    ),
    (
        "@timestamp >= now/d and user.name:admin",
        Same("@timestamp >= now/d AND user.name:admin"),
    ),
    (
        "@timestamp:[2026-12-01 TO 2026-12-03] AND host.name:db01",
        Prints("@timestamp:[2026-12-01 TO 2026-12-03] AND host.name:db01"),
    ),
    (
        "@timestamp > \"2026-12-03T08:00:00Z\" and @timestamp < \"2026-12-03T09:00:00Z\"",
        Same("@timestamp > 2026-12-03T08\\:00\\:00Z AND @timestamp < 2026-12-03T09\\:00\\:00Z"),
    ),
    (
        "NOT _exists_:user.name AND event.category:authentication",
        Same("NOT user.name:* AND event.category:authentication"),
    ),
    (
        "_exists_:process.parent.name",
        Same("process.parent.name:*"),
    ),
    (
        "user.name:/adm.n[0-9]*/",
        Prints("user.name|re:\"^(?:adm.n[0-9]*)$\""),
    ),
    (
        "file.path:/.*\\.(ps1|vbs|js)/",
        Prints("file.path|re:\"^(?:.*\\\\.(ps1|vbs|js))$\""),
    ),
    (
        "event.outcome:failure OR event.outcome:unknown",
        Prints("event.outcome:failure OR event.outcome:unknown"),
    ),
    (
        "message:error* OR message:fail*",
        Prints("message:error* OR message:fail*"),
    ),
    // KQL grammar's documented examples.
    ("response:200", Prints("response:200")),
    (
        "response:200 or extension:php",
        Same("response:200 OR extension:php"),
    ),
    (
        "response:(200 or 404)",
        Same("response:200 OR response:404"),
    ),
    (
        "response:200 and not (extension:php or extension:css)",
        Same("response:200 AND NOT (extension:php OR extension:css)"),
    ),
    ("machine.os:*", Prints("machine.os:*")),
    (
        "message:\"quick brown fox\"",
        Prints("message:\"quick brown fox\""),
    ),
    (
        "account_number >= 100 and items_sold <= 200",
        Same("account_number:[100 TO *] AND items_sold:[* TO 200]"),
    ),
    (
        "@timestamp < \"2021-01-02T21:55:59\"",
        Prints("@timestamp:[* TO 2021-01-02T21\\:55\\:59}"),
    ),
    (
        "http.request.method: GET",
        Prints("http.request.method:GET"),
    ),
    ("http.request.method: *", Prints("http.request.method:*")),
    (
        "not http.request.method: GET",
        Same("NOT http.request.method:GET"),
    ),
    (
        "http.response.status_code: 400 and http.request.method: GET",
        Same("http.response.status_code:400 AND http.request.method:GET"),
    ),
    (
        "http.request.referrer: \"https://example.com\"",
        Prints("http.request.referrer:\"https://example.com\""),
    ),
    (
        "http.request.referrer: https\\://example.com",
        Prints("http.request.referrer:https\\://example.com"),
    ),
    ("datastream.*: logs", Prints("datastream.*:logs")),
    ("host.*:web01", Prints("host.*:web01")),
    ("host.*:\"web 01\"", Prints("host.*:\"web 01\"")),
    ("http.*:404", Prints("http.*:404")),
    ("NOT source.*:10.0.0.1", Prints("NOT source.*:10.0.0.1")),
    ("host.*:*", Same("host:*")),
    ("host.*:web*", Fails(7, "takes a whole value")),
    ("host.*:", Fails(7, "a value after 'host.*:'")),
    ("ho*st.*:x", Fails(0, "not a field name")),
    // Elasticsearch's query-string reference examples.
    ("status:active", Prints("status:active")),
    ("title:(quick OR brown)", Same("title:quick OR title:brown")),
    ("author:\"John Smith\"", Prints("author:\"John Smith\"")),
    ("_exists_:title", Same("title:*")),
    ("qu?ck bro*", Prints("qu?ck AND bro*")),
    ("count:[1 TO 5]", Prints("count:[1 TO 5]")),
    (
        "date:[2012-01-01 TO 2012-12-31]",
        Prints("date:[2012-01-01 TO 2012-12-31]"),
    ),
    ("tag:{alpha TO omega}", Prints("tag:{alpha TO omega}")),
    ("count:[10 TO *]", Prints("count:[10 TO *]")),
    ("date:{* TO 2012-01-01}", Prints("date:[* TO 2012-01-01}")),
    ("count:[1 TO 5}", Prints("count:[1 TO 5}")),
    ("age:>10", Same("age > 10")),
    ("age:>=10", Same("age >= 10")),
    ("age:<10", Same("age < 10")),
    ("age:<=10", Same("age <= 10")),
    (
        "name:/joh?n(ath[oa]n)/",
        Prints("name|re:\"^(?:joh?n(ath[oa]n))$\""),
    ),
    ("quikc~ brwn~ foks~", Fails(5, "fuzzy search")),
    ("\"fox quick\"~5", Fails(11, "proximity search")),
    ("quick^2 fox", Fails(5, "boosting")),
    (
        "quick brown +fox -news",
        Same("quick AND brown AND fox AND NOT news"),
    ),
    (
        "(quick OR brown) AND fox",
        Prints("(quick OR brown) AND fox"),
    ),
    (
        "status:(active OR pending) title:(full text search)",
        Fails(39, "OR or AND between the values"),
    ),
    ("NOT status:active", Prints("NOT status:active")),
];

#[test]
fn every_case_reads_as_specified() {
    let mut failures = Vec::new();
    for (text, expect) in CASES {
        let got = parse_with_warnings(text);
        let problem = match (expect, &got) {
            (Prints(canonical), Ok(parsed)) => {
                let printed = parsed.query.to_string();
                (printed != *canonical || !parsed.warnings.is_empty())
                    .then(|| format!("printed {printed:?}, warnings {:?}", parsed.warnings))
            }
            (Same(other), Ok(parsed)) => match parse(other) {
                Ok(query) if query == parsed.query => None,
                Ok(query) => Some(format!("read as {}, not as {query}", parsed.query)),
                Err(e) => Some(format!("the comparison {other:?} fails: {e}")),
            },
            (Warns(fragment, canonical), Ok(parsed)) => {
                let printed = parsed.query.to_string();
                let warned = parsed.warnings.iter().any(|w| w.message.contains(fragment));
                (printed != *canonical || !warned)
                    .then(|| format!("printed {printed:?}, warnings {:?}", parsed.warnings))
            }
            (Fails(position, fragment), Err(error)) => (error.position != *position
                || !error.message.contains(fragment))
            .then(|| format!("failed with {error}")),
            (Fails(..), Ok(parsed)) => Some(format!("parsed as {}", parsed.query)),
            (_, Err(error)) => Some(format!("failed with {error}")),
        };
        if let Some(problem) = problem {
            failures.push(format!("{text:?}: {problem}"));
        }
        // Whatever parses prints to text that reads back the same.
        if let Ok(parsed) = &got {
            let printed = parsed.query.to_string();
            if parse(&printed).as_ref() != Ok(&parsed.query) {
                failures.push(format!("{text:?}: printed {printed:?} does not read back"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn the_suite_is_broad() {
    assert!(CASES.len() >= 300, "{} cases", CASES.len());
}
