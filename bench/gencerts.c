/*
 * gencerts.c - writes N distinct certificates quickly, for bench/run.sh.
 *
 *   gencerts N DIR
 *
 * One P-256 CA ("CN=Bench CA, O=Contoso, C=US") and one P-256 leaf key;
 * certificate k (1..N) is DIR/cNNNNN.pem, subject "CN=hNNNNN.contoso.com,
 * O=Contoso, C=US", serial k, signed by the CA; the leaf key is
 * DIR/leaf.key (PKCS#8 PEM, 0600: bench/run.sh's nginx serves them).  One process and one key
 * pair instead of an openssl(1) run per certificate: 5,000 take well under
 * a second.  Prints one line per certificate: "cNNNNN.pem SHA1 SHA256"
 * (upper-case hex of the DER), for the inventory generator.
 *
 * Bench tooling, not part of certrotate: it exits on the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static void
die(const char *what)
{
	fprintf(stderr, "gencerts: %s failed\n", what);
	exit(1);
}

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (k == NULL)
		die("EC key generation");
	return k;
}

static X509_NAME *
name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Contoso", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0))
		die("X509_NAME");
	return n;
}

static X509 *
make(long serial, X509_NAME *subject, X509_NAME *issuer, EVP_PKEY *pub, EVP_PKEY *signer)
{
	X509 *x = X509_new();

	if (x == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
	    !X509_set_subject_name(x, subject) || !X509_set_issuer_name(x, issuer) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400L) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 365 * 86400L) == NULL ||
	    !X509_set_pubkey(x, pub) || X509_sign(x, signer, EVP_sha256()) <= 0)
		die("certificate");
	return x;
}

static void
hex(const unsigned char *d, unsigned n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int
main(int argc, char **argv)
{
	EVP_PKEY *ca_key, *leaf_key;
	X509_NAME *ca_name;
	long n, k;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: gencerts N DIR\n");
		return 2;
	}
	n = strtol(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || n < 1 || n > 99999) {
		fprintf(stderr, "gencerts: N must be 1..99999\n");
		return 2;
	}
	ca_key = ec_key();
	leaf_key = ec_key();
	ca_name = name("Bench CA");
	{
		char file[4096];
		FILE *f;
		mode_t old = umask(077);

		if (snprintf(file, sizeof(file), "%s/leaf.key", argv[2]) >= (int)sizeof(file))
			die("path");
		if ((f = fopen(file, "w")) == NULL ||
		    !PEM_write_PrivateKey(f, leaf_key, NULL, NULL, 0, NULL, NULL) || fclose(f) != 0)
			die(file);
		umask(old);
	}
	for (k = 1; k <= n; k++) {
		char cn[64], file[4096], sha1[41], sha256[65];
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned mdlen;
		X509_NAME *subj;
		X509 *x;
		FILE *f;

		snprintf(cn, sizeof(cn), "h%05ld.contoso.com", k);
		subj = name(cn);
		x = make(k, subj, ca_name, leaf_key, ca_key);
		if (snprintf(file, sizeof(file), "%s/c%05ld.pem", argv[2], k) >= (int)sizeof(file))
			die("path");
		if ((f = fopen(file, "w")) == NULL || !PEM_write_X509(f, x) || fclose(f) != 0)
			die(file);
		if (!X509_digest(x, EVP_sha1(), md, &mdlen))
			die("digest");
		hex(md, mdlen, sha1);
		if (!X509_digest(x, EVP_sha256(), md, &mdlen))
			die("digest");
		hex(md, mdlen, sha256);
		printf("c%05ld.pem %s %s\n", k, sha1, sha256);
		X509_free(x);
		X509_NAME_free(subj);
	}
	X509_NAME_free(ca_name);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	return fflush(stdout) == 0 ? 0 : 1;
}
