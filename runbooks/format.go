package runbooks

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical HCL layout. It refuses input that does
// not parse, because the formatter would otherwise rewrite broken files in
// surprising ways.
func Format(src []byte) ([]byte, hcl.Diagnostics) {
	return FormatFile("<stdin>", src)
}

// FormatFile is Format with a file name for the diagnostics.
func FormatFile(filename string, src []byte) ([]byte, hcl.Diagnostics) {
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}
