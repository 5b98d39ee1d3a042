# Loss and delay on a lab link where the kernel has no netem qdisc: relays
# every frame between two interfaces of the lab namespace (the node's bridge
# port, and a veth whose peer took its place on the bridge), dropping each
# with probability LOSS and holding each DELAY seconds, in each direction.
#   perl link-relay.pl IF_A IF_B LOSS DELAY     (prints "ready"; exits when stdin closes)
use strict; use warnings; use Socket qw(:all); use Time::HiRes qw(time);
my ($ia, $ib, $loss, $delay) = @ARGV;
sub ifindex { open(my $f, '<', "/sys/class/net/$_[0]/ifindex") or die "$_[0]: $!\n"; my $v = <$f>; chomp $v; $v }
sub open_if {
  # AF_PACKET (17), every protocol (ETH_P_ALL, in network order), bound to one interface.
  socket(my $s, 17, SOCK_RAW, 0x0300) or die "socket: $!\n";
  bind($s, pack('S n i S C C a8', 17, 0x0003, ifindex($_[0]), 0, 0, 0, '')) or die "bind $_[0]: $!\n";
  $s;
}
my ($sa, $sb) = (open_if($ia), open_if($ib));
my %peer = (fileno($sa) => $sb, fileno($sb) => $sa);
my @queue;    # [due, socket, frame], in arrival order (constant delay keeps it sorted)
$| = 1;
print "ready\n";
while (1) {
  my $rin = '';
  vec($rin, fileno($_), 1) = 1 for ($sa, $sb, \*STDIN);
  my $timeout = @queue ? $queue[0][0] - time : undef;
  $timeout = 0 if defined $timeout && $timeout < 0;
  my $n = select(my $rout = $rin, undef, undef, $timeout);
  if ($n > 0) {
    exit 0 if vec($rout, fileno(STDIN), 1) && !sysread(STDIN, my $x, 1);
    for my $s ($sa, $sb) {
      next unless vec($rout, fileno($s), 1);
      my $from = recv($s, my $frame, 65536, 0);
      next unless defined $from;
      next if unpack('x10 C', $from) == 4;    # PACKET_OUTGOING: what we sent ourselves
      next if rand() < $loss;
      push @queue, [time + $delay, $peer{fileno($s)}, $frame];
    }
  }
  my $now = time;
  while (@queue && $queue[0][0] <= $now) { my $e = shift @queue; send($e->[1], $e->[2], 0); }
}
