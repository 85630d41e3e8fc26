package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeCert is a PEM certificate and its key, signed by a kubeCA.
type kubeCert struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

// kubeCA is the test cluster's own certificate authority: it signs the
// apiserver's serving certificate and every client certificate, and the
// apiserver trusts it for client authentication.
type kubeCA kubeCert

// kubePKI is the paths of the files the control plane reads.
type kubePKI struct {
	ca          *kubeCA
	admin       kubeCert // client certificate in system:masters
	caCert      string
	servingCert string
	servingKey  string
	saPublic    string // verifies service-account tokens
	saPrivate   string // signs service-account tokens
}

// writeKubePKI creates the CA, the apiserver's serving certificate for
// 127.0.0.1, an admin client certificate and a service-account key pair in
// dir/pki.
func writeKubePKI(t testing.TB, dir string) kubePKI {
	t.Helper()
	pkiDir := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pkiDir, 0o700); err != nil {
		t.Fatalf("pki dir: %v", err)
	}
	ca := newKubeCA(t)
	serving := ca.sign(t, x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(10, 96, 0, 1)},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
	})
	admin := ca.sign(t, x509.Certificate{
		Subject:     pkix.Name{CommonName: "firebreak-admin", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("service-account key: %v", err)
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		t.Fatalf("service-account public key: %v", err)
	}
	p := kubePKI{
		ca:          ca,
		admin:       admin,
		caCert:      filepath.Join(pkiDir, "ca.crt"),
		servingCert: filepath.Join(pkiDir, "apiserver.crt"),
		servingKey:  filepath.Join(pkiDir, "apiserver.key"),
		saPublic:    filepath.Join(pkiDir, "sa.pub"),
		saPrivate:   filepath.Join(pkiDir, "sa.key"),
	}
	files := map[string][]byte{
		p.caCert:      ca.certPEM,
		p.servingCert: serving.certPEM,
		p.servingKey:  serving.keyPEM,
		p.saPublic:    pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
		p.saPrivate:   pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}),
	}
	for path, content := range files {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
	}
	return p
}

// newKubeCA makes a self-signed CA valid for a day.
func newKubeCA(t testing.TB) *kubeCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("ca key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "firebreak-test-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("ca certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("ca certificate: %v", err)
	}
	return &kubeCA{cert: cert, key: key, certPEM: certPEM(der), keyPEM: keyPEM(t, key)}
}

// sign issues a certificate from tmpl (subject, usages, SANs) with a fresh
// key, valid for a day.
func (ca *kubeCA) sign(t testing.TB, tmpl x509.Certificate) kubeCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("certificate key: %v", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatalf("certificate serial: %v", err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("sign certificate %s: %v", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("sign certificate %s: %v", tmpl.Subject.CommonName, err)
	}
	return kubeCert{cert: cert, key: key, certPEM: certPEM(der), keyPEM: keyPEM(t, key)}
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// writeKubeconfig writes a kubeconfig for host authenticating with user's
// client certificate, for the controller-manager, the scheduler, kwok and
// people debugging a test.
func writeKubeconfig(t testing.TB, path, host string, caPEM []byte, user kubeCert) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["firebreak-test"] = &clientcmdapi.Cluster{Server: host, CertificateAuthorityData: caPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: user.certPEM, ClientKeyData: user.keyPEM}
	cfg.Contexts["firebreak-test"] = &clientcmdapi.Context{Cluster: "firebreak-test", AuthInfo: "admin"}
	cfg.CurrentContext = "firebreak-test"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatalf("write kubeconfig %s: %v", path, err)
	}
}
