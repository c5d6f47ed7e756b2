// The hypercall and ring targets share one guest (RAM and a socket-pair NIC) per process, as under
// afl-fuzz: their tests must not run at the same time as each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
