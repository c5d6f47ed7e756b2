using SharpFuzz;
using Tender.Fuzz;

// The fuzz harness. Under afl-fuzz (scripts/fuzz): `Tender.Fuzz TARGET`, input on stdin through
// SharpFuzz's fork server. By hand: `--list`, `--assemblies TARGET` (what to instrument), `replay TARGET PATH...` (files or directories; exit 1
// on a finding, with the exception), `seed TARGET DIR` (writes the generated seeds).
if (args.Length == 1 && args[0] == "--list")
{
    foreach (var t in Targets.All) Console.WriteLine($"{t.Name,-14} {t.Reaches}");
    return 0;
}
if (args.Length == 2 && args[0] == "--assemblies")
{
    foreach (var a in Find(args[1]).Assemblies) Console.WriteLine(a);
    return 0;
}
if (args.Length >= 2 && args[0] == "replay")
{
    var target = Find(args[1]);
    int findings = 0, files = 0;
    foreach (var path in args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order() : (IEnumerable<string>)[p]))
    {
        files++;
        try
        {
            Console.WriteLine($"{path}: {target.Run(File.ReadAllBytes(path))}");
        }
        catch (Exception e)
        {
            findings++;
            Console.WriteLine($"{path}: FINDING {e}");
        }
    }
    Console.WriteLine($"{target.Name}: {files} inputs, {findings} findings");
    return findings == 0 ? 0 : 1;
}
if (args.Length == 3 && args[0] == "seed")
{
    var target = Find(args[1]);
    Directory.CreateDirectory(args[2]);
    foreach (var (name, bytes) in Seeds.For(target.Name))
        File.WriteAllBytes(Path.Combine(args[2], name), bytes);
    return 0;
}
if (args.Length == 1)
{
    var target = Find(args[0]);
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        target.Run(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    });
    return 0;
}
Console.Error.WriteLine("usage: Tender.Fuzz --list | --assemblies TARGET | TARGET | replay TARGET PATH... | seed TARGET DIR");
return 2;

static FuzzTarget Find(string name)
{
    if (Targets.Find(name) is FuzzTarget t) return t;
    Console.Error.WriteLine($"fuzz: unknown target '{name}' (known: {string.Join(", ", Targets.All.Select(t => t.Name))})");
    Environment.Exit(2);
    return null!;
}
