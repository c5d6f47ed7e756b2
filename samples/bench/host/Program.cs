// The bench sample's cases on the host JIT: the case named by the first argument, the same line as the guest.
string line = args.Length > 0 ? Cases.Run(args[0]) : "";
if (line.Length == 0)
{
    Console.Error.WriteLine("usage: BenchHost " + string.Join("|", Cases.Names));
    return 2;
}
Console.WriteLine(line);
return 0;
