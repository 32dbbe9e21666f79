using System.Globalization;
using System.Text;

namespace LlmGateway.Cpu;

/// <summary>CPU lists as Linux writes them ("0-1,3"): cpuset.cpus, taskset, the launcher's --cpus.</summary>
public static class CpuList
{
    public static bool TryParse(string text, out IReadOnlyList<int> cpus)
    {
        SortedSet<int> set = [];
        cpus = [];
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            if (range.Length > 2
                || !int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                || !int.TryParse(range[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                || last < first || last > 4095)
            {
                return false;
            }

            for (var c = first; c <= last; c++)
            {
                set.Add(c);
            }
        }

        cpus = [.. set];
        return set.Count > 0;
    }

    public static string Format(IEnumerable<int> cpus)
    {
        var sorted = cpus.Distinct().Order().ToList();
        var text = new StringBuilder();
        for (var i = 0; i < sorted.Count; i++)
        {
            var start = sorted[i];
            while (i + 1 < sorted.Count && sorted[i + 1] == sorted[i] + 1)
            {
                i++;
            }

            text.Append(text.Length > 0 ? "," : "").Append(start.ToString(CultureInfo.InvariantCulture));
            if (sorted[i] != start)
            {
                text.Append('-').Append(sorted[i].ToString(CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
