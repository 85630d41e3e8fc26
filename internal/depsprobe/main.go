package main

import (
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/worker"
	_ "go.temporal.io/sdk/workflow"
	_ "go.temporal.io/sdk/testsuite"
	_ "go.temporal.io/server/temporal"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	_ "github.com/temporalio/ui-server/v2/server"
	_ "github.com/slack-go/slack"
	_ "github.com/slack-go/slack/slacktest"
	_ "github.com/PagerDuty/go-pagerduty"
	_ "github.com/prometheus/alertmanager/template"
	_ "github.com/prometheus/alertmanager/pkg/labels"
	_ "github.com/hashicorp/hcl/v2/hclsyntax"
	_ "github.com/hashicorp/hcl/v2/hclwrite"
	_ "github.com/hashicorp/hcl/v2/gohcl"
	_ "k8s.io/client-go/kubernetes"
	_ "github.com/prometheus/client_golang/api/prometheus/v1"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/zclconf/go-cty/cty"
)
func main() {}
