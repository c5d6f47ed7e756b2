// Prints the same line as the eh-conformance guest's --bench mode, measured on the host JIT.
long ns = EhBench.BestNanosecondsPerThrow(5, 20000);
Console.WriteLine($"eh-bench: throw_catch_10_ns={ns}");
return ns < 0 ? 1 : 0;
