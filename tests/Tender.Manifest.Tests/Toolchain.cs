using System.Diagnostics;

namespace Tender.Manifest.Tests;

/// <summary>Builds real ELF files with the system's GNU assembler and linker (binutils).</summary>
internal static class Toolchain
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
            Run("as", "-o", obj, src);
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
            Run("ld", args.ToArray());
            return File.ReadAllBytes(elf);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        // A missing assembler or linker is a broken test machine, not a reason to skip: Start throws.
        using Process p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}{stdout}");
    }
}
