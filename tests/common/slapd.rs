//! A real staff directory for clinician sign-in tests and benchmarks: OpenLDAP's slapd on
//! loopback over LDAPS, with a CA of the test's own and three people: Ana Ruiz (Nurse, badge
//! 0012345, PIN 2468), Pat Doe (Porter, 0077777, 1357) and an entry without a Practitioner
//! (0099999, 1111).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bedside::config::Staff as StaffConfig;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub const SERVICE_PASSWORD: &str = "box service secret";

/// A slapd of the test's own, in a temporary directory, killed when dropped.
pub struct Slapd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn slappasswd(secret: &str) -> String {
    let out = Command::new("slappasswd")
        .args(["-s", secret])
        .output()
        .expect("slappasswd (Debian ldap-utils/slapd, scripts/setup.sh)");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl Slapd {
    pub fn start() -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("db")).unwrap();
        // A CA of the test's own, and the directory's certificate signed by it for 127.0.0.1.
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let ca_args = [
            &["req", "-x509"][..],
            &ec,
            &["-days", "2", "-subj", "/CN=Test Hospital CA"],
            &["-keyout", "ca.key", "-out", "ca.pem"],
        ]
        .concat();
        openssl(d, &ca_args);
        let csr_args = [
            &["req"][..],
            &ec,
            &["-subj", "/CN=127.0.0.1", "-keyout", "server.key"],
            &["-out", "server.csr"],
        ]
        .concat();
        openssl(d, &csr_args);
        std::fs::write(d.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "san.cnf",
                "-out",
                "server.pem",
            ],
        );
        std::fs::write(
            d.join("slapd.conf"),
            format!(
                "include /etc/ldap/schema/core.schema\n\
                 include /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\n\
                 modulepath /usr/lib/ldap\nmoduleload back_mdb\n\
                 pidfile {d}/slapd.pid\n\
                 TLSCertificateFile {d}/server.pem\nTLSCertificateKeyFile {d}/server.key\n\
                 database mdb\nsuffix \"dc=hospital,dc=test\"\n\
                 rootdn \"cn=admin,dc=hospital,dc=test\"\ndirectory {d}/db\n\
                 access to attrs=userPassword by anonymous auth by * none\n\
                 access to dn.subtree=\"ou=staff,dc=hospital,dc=test\" \
                   by dn.exact=\"cn=bedside,ou=services,dc=hospital,dc=test\" read by * none\n\
                 access to * by * none\n",
                d = d.display()
            ),
        )
        .unwrap();
        let person = |uid: &str, cn: &str, title: &str, badge: &str, pin: &str, practitioner| {
            format!(
                "dn: uid={uid},ou=staff,dc=hospital,dc=test\nobjectClass: inetOrgPerson\n\
                 uid: {uid}\ncn: {cn}\nsn: {cn}\ntitle: {title}\nemployeeNumber: {badge}\n\
                 {practitioner}userPassword: {}\n\n",
                slappasswd(pin)
            )
        };
        let ldif = format!(
            "dn: dc=hospital,dc=test\nobjectClass: dcObject\nobjectClass: organization\n\
             o: Test Hospital\ndc: hospital\n\n\
             dn: ou=services,dc=hospital,dc=test\nobjectClass: organizationalUnit\nou: services\n\n\
             dn: cn=bedside,ou=services,dc=hospital,dc=test\nobjectClass: person\ncn: bedside\n\
             sn: bedside\nuserPassword: {}\n\n\
             dn: ou=staff,dc=hospital,dc=test\nobjectClass: organizationalUnit\nou: staff\n\n{}{}{}",
            slappasswd(SERVICE_PASSWORD),
            person(
                "aruiz",
                "Ana Ruiz",
                "Nurse",
                "0012345",
                "2468",
                "labeledURI: Practitioner/ana\ndepartmentNumber: 4N\n"
            ),
            person(
                "pdoe",
                "Pat Doe",
                "Porter",
                "0077777",
                "1357",
                "labeledURI: Practitioner/pat\n"
            ),
            person("nobody", "No Practitioner", "Nurse", "0099999", "1111", ""),
        );
        std::fs::write(d.join("data.ldif"), ldif).unwrap();
        let added = Command::new("slapadd")
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-l")
            .arg(d.join("data.ldif"))
            .output()
            .unwrap();
        assert!(
            added.status.success(),
            "{}",
            String::from_utf8_lossy(&added.stderr)
        );
        let mut slapd = Slapd {
            dir,
            port: free_port(),
            child: None,
        };
        slapd.run();
        slapd
    }

    pub fn run(&mut self) {
        let d = self.dir.path();
        let child = Command::new("slapd")
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .args([
                "-h",
                &format!("ldaps://127.0.0.1:{}/", self.port),
                "-d",
                "0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd (Debian slapd, scripts/setup.sh)");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "slapd did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn config(&self, ca: Option<&Path>) -> StaffConfig {
        let password = self.dir.path().join("service-password");
        std::fs::write(&password, format!("{SERVICE_PASSWORD}\n")).unwrap();
        let toml = format!(
            "directory = \"ldaps://127.0.0.1:{}\"\n{}\
             bind_dn = \"cn=bedside,ou=services,dc=hospital,dc=test\"\n\
             bind_password_file = \"{}\"\nbase_dn = \"ou=staff,dc=hospital,dc=test\"\n\
             timeout_seconds = 2\nward = \"4N\"\n",
            self.port,
            ca.map(|p| format!("ca_file = \"{}\"\n", p.display()))
                .unwrap_or_default(),
            password.display()
        );
        toml::from_str(&toml).unwrap()
    }

    /// The `[staff]` section of a box's config for this directory.
    pub fn section(&self) -> String {
        let password = self.dir.path().join("service-password");
        std::fs::write(&password, format!("{SERVICE_PASSWORD}\n")).unwrap();
        format!(
            "[staff]\ndirectory = \"ldaps://127.0.0.1:{}\"\nca_file = \"{}\"\n\
             bind_dn = \"cn=bedside,ou=services,dc=hospital,dc=test\"\n\
             bind_password_file = \"{}\"\nbase_dn = \"ou=staff,dc=hospital,dc=test\"\n\
             ward = \"4N\"\n",
            self.port,
            self.ca().display(),
            password.display()
        )
    }
}
