# fcgi_slow.pl SOCKET BODY_FILE SLEEP: one FastCGI request whose body is sent in
# two halves SLEEP seconds apart; prints the response's Status line.
use strict; use warnings; use IO::Socket::UNIX; use Socket;
my ($sock, $file, $sleep) = @ARGV;
open(my $fh, '<', $file) or die; local $/; my $body = <$fh>; close $fh;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $sock) or die "connect: $!";
sub rec { my ($t, $c) = @_; return pack('CCnnCx', 1, $t, 1, length($c), 0) . $c; }
sub nv { my ($k, $v) = @_; return pack('CC', length($k), length($v)) . $k . $v; }
my $p = nv('REQUEST_METHOD', 'POST') . nv('DOCUMENT_URI', '/v1/payments/webhook')
    . nv('QUERY_STRING', '') . nv('REMOTE_ADDR', '127.0.0.1')
    . nv('CONTENT_LENGTH', length($body)) . nv('CONTENT_TYPE', 'application/json');
my $half = int(length($body) / 2);
print $s rec(1, pack('nCx5', 1, 0)) . rec(4, $p) . rec(4, '') . rec(5, substr($body, 0, $half));
$s->flush; sleep $sleep;
print $s rec(5, substr($body, $half)) . rec(5, '');
$s->flush;
my $out = ''; while (1) { my $n = sysread($s, my $buf, 65536); last if !$n; $out .= $buf; }
print(($out =~ /(Status: \d+)/) ? "$1\n" : "no status\n");
