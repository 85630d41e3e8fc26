package runbooks

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Escalate says where an escalation goes. Version 1 has one sink, a
// structured log record; pagers and chat come later as more fields.
type Escalate struct {
	LogLevel string // "info", "warn" or "error"
}

func defaultEscalate() Escalate { return Escalate{LogLevel: "error"} }

// rawLog is the log block as written.
type rawLog struct {
	Level      *string   `hcl:"level,optional"`
	LevelRange hcl.Range `hcl:"level,attr_value_range"`
}

func (p *parser) escalate(block *hcl.Block) hcl.Diagnostics {
	ctx := blockRange(block)
	content, diags := block.Body.Content(escalateSchema)
	if content == nil {
		return diags
	}
	logs := content.Blocks.OfType(blockLog)
	if len(logs) == 0 {
		return append(diags, newDiag("Missing escalation sink",
			"An escalate block needs at least one sink, like log {}; remove the block to use the default.", block.DefRange, ctx))
	}
	diags = append(diags, atMostOne(logs, ctx)...)
	var raw rawLog
	if d := gohcl.DecodeBody(logs[0].Body, staticCtx, &raw); d.HasErrors() {
		return append(diags, d...)
	}
	if raw.Level != nil {
		switch *raw.Level {
		case "info", "warn", "error":
			p.rb.Escalate.LogLevel = *raw.Level
		default:
			diags = append(diags, newDiag("Invalid log level",
				fmt.Sprintf("level = %q; want \"info\", \"warn\" or \"error\".", *raw.Level), raw.LevelRange, blockRange(logs[0])))
		}
	}
	return diags
}
