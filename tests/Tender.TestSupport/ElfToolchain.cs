namespace Tender.TestSupport;

/// <summary>Builds real ELF files with the system's GNU assembler and linker (binutils).</summary>
public static class Toolchain
{
    /// <summary>Assembles <paramref name="assembly"/>, links it (with a linker script when given) and returns the ELF bytes.</summary>
    public static byte[] Build(string assembly, string? linkerScript = null, params string[] ldArgs)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tender-elf-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string src = Path.Combine(dir, "guest.s"), obj = Path.Combine(dir, "guest.o"), elf = Path.Combine(dir, "guest.elf");
            File.WriteAllText(src, assembly);
            Command.Run("as", "-o", obj, src); // a missing assembler is a broken test machine, not a skip
            var args = new List<string> { "-static", "-nostdlib", "-o", elf };
            if (linkerScript is not null)
            {
                string lds = Path.Combine(dir, "guest.lds");
                File.WriteAllText(lds, linkerScript);
                args.Add("-T");
                args.Add(lds);
            }
            args.AddRange(ldArgs);
            args.Add(obj);
            Command.Run("ld", args.ToArray());
            return File.ReadAllBytes(elf);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
