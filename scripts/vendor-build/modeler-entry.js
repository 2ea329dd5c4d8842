// Entry point esbuild bundles into app/static/vendor/bpmn-modeler/bpmn-modeler.js: the bpmn-js
// Modeler with the Camunda 7 properties panel, and bpmn-js-differ for the version diff.
import BpmnModeler from "bpmn-js/lib/Modeler";
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import CamundaBehaviorsModule from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import { diff } from "bpmn-js-differ";

window.HuiyinBpmn = {
  BpmnModeler,
  NavigatedViewer,
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
  CamundaBehaviorsModule,
  camundaModdle,
  diff,
};
