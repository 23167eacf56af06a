using System.Globalization;

namespace Pipeline.Extractor.Cache;

/// <summary>
/// The header of a <c>.npy</c> file read as what it is: a Python dict literal
/// (<c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>), with any spacing,
/// quote style and key order numpy's <c>ast.literal_eval</c> accepts for these three keys.
/// A substring search would take <c>'fortran_order':True</c> (no space) for C order.
/// </summary>
internal sealed class NpyHeader
{
    private readonly string _text;
    private int _pos;

    private NpyHeader(string text) => _text = text;

    /// <summary>Parses <paramref name="dict"/>; null when it is not a dict with a string descr, a bool fortran_order and an int tuple shape.</summary>
    public static (string Descr, bool FortranOrder, long[] Shape)? Parse(string dict)
    {
        var parser = new NpyHeader(dict);
        try
        {
            return parser.ParseDict();
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private (string, bool, long[])? ParseDict()
    {
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        Expect('{');
        while (true)
        {
            SkipSpace();
            if (Peek() == '}')
            {
                _pos++;
                break;
            }

            string key = ReadString();
            Expect(':');
            switch (key)
            {
                case "descr" when descr is null:
                    descr = ReadString();
                    break;
                case "fortran_order" when fortran is null:
                    fortran = ReadBool();
                    break;
                case "shape" when shape is null:
                    shape = ReadTuple();
                    break;
                default:
                    return null;   // an unknown or repeated key: not a header this tool writes or numpy reads
            }

            SkipSpace();
            if (Peek() == ',')
            {
                _pos++;
            }
            else if (Peek() != '}')
            {
                throw new FormatException();
            }
        }

        SkipSpace();
        return _pos == _text.Length && descr is not null && fortran is not null && shape is not null ? (descr, fortran.Value, shape) : null;
    }

    private string ReadString()
    {
        SkipSpace();
        char quote = Peek();
        if (quote is not ('\'' or '"'))
        {
            throw new FormatException();
        }

        int end = _text.IndexOf(quote, _pos + 1);
        if (end < 0)
        {
            throw new FormatException();
        }

        string value = _text[(_pos + 1)..end];
        _pos = end + 1;
        return value;
    }

    private bool ReadBool()
    {
        SkipSpace();
        foreach (var (word, value) in new[] { ("True", true), ("False", false) })
        {
            if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) == 0)
            {
                _pos += word.Length;
                return value;
            }
        }

        throw new FormatException();
    }

    // (), (7,), (3, 4), (3,4,)
    private long[] ReadTuple()
    {
        Expect('(');
        var dims = new List<long>();
        while (true)
        {
            SkipSpace();
            if (Peek() == ')')
            {
                _pos++;
                return [.. dims];
            }

            int start = _pos;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                _pos++;
            }

            if (!long.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out long dim))
            {
                throw new FormatException();
            }

            dims.Add(dim);
            SkipSpace();
            if (Peek() == ',')
            {
                _pos++;
            }
            else if (Peek() != ')' || dims.Count == 1)
            {
                // A one-element tuple needs its comma: "(7)" is the int 7, not a shape.
                throw new FormatException();
            }
        }
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (Peek() != c)
        {
            throw new FormatException();
        }

        _pos++;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }
}
